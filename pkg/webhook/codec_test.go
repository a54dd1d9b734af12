package webhook

import (
	"context"
	"encoding/json"
	"reflect"
	"testing"

	"gomodules.xyz/jsonpatch/v2"
	corev1 "k8s.io/api/core/v1"
)

// TestEncodePatchMatchesEncodingJSON encodes the patch of every golden case with
// encodePatch and with jsonpatch's own encoding/json path, and wants the same JSON.
func TestEncodePatchMatchesEncodingJSON(t *testing.T) {
	forEachGolden(t, func(t *testing.T, _ string, pod *corev1.Pod, cm *corev1.ConfigMap,
		raw []byte,
	) {
		resp := newHandler(cm).Handle(context.Background(), rawPodRequest(pod.Namespace, raw))
		if len(resp.Patches) == 0 {
			t.Fatalf("no patch: %+v", resp.Result)
		}
		samePatchJSON(t, resp.Patches)
	})
}

// TestEncodePatchKeepsNullValues checks the members RFC 6902 asks for: "value" on add
// and replace even when it is null, none on remove.
func TestEncodePatchKeepsNullValues(t *testing.T) {
	samePatchJSON(t, []jsonpatch.Operation{
		{Operation: opAdd, Path: "/metadata/annotations", Value: nil},
		{Operation: opReplace, Path: "/spec/containers/0/env", Value: []corev1.EnvVar(nil)},
		{Operation: opRemove, Path: "/spec/containers/0/volumeMounts/1"},
		{Operation: opAdd, Path: "/metadata/annotations/a~1b", Value: "<&>"},
	})
}

// samePatchJSON fails unless encodePatch(ops) and encoding/json agree on ops.
func samePatchJSON(t *testing.T, ops []jsonpatch.Operation) {
	t.Helper()
	got, err := encodePatch(ops)
	if err != nil {
		t.Fatal(err)
	}
	want, err := json.Marshal(ops)
	if err != nil {
		t.Fatal(err)
	}
	var gotValue, wantValue any
	if err := json.Unmarshal(got, &gotValue); err != nil {
		t.Fatalf("encodePatch wrote invalid JSON %s: %v", got, err)
	}
	if err := json.Unmarshal(want, &wantValue); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(gotValue, wantValue) {
		t.Errorf("encodePatch wrote\n%s\nencoding/json writes\n%s", got, want)
	}
}

// TestDecodeJSONIsCaseSensitive: "Env" is not "env", as in the apiserver, so a field
// the apiserver would drop is never patched at its lower-case path.
func TestDecodeJSONIsCaseSensitive(t *testing.T) {
	var c corev1.Container
	data := []byte(`{"name":"a","Env":[{"name":"X","value":"1"}]}`)
	if err := decodeJSON(data, &c); err != nil {
		t.Fatal(err)
	}
	if c.Name != "a" || len(c.Env) != 0 {
		t.Errorf("decoded %+v, want name a and no env", c)
	}
}
