package webhook

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	jsonpatch "github.com/evanphx/json-patch/v5"
	gomodulesjsonpatch "gomodules.xyz/jsonpatch/v2"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	utiljson "k8s.io/apimachinery/pkg/util/json"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/yaml"

	"github.com/rasa-vault-webhook/rasa-vault-webhook/pkg/inject"
)

// TestPatchKeepsFieldsOurTypesDoNotKnow sends a pod carrying fields a newer apiserver
// might add, in the spec, the assistant container, a kept env entry and the redirected
// mount, and checks the patched pod still has every one of them. "ENV" is not "env" to
// the apiserver, nor to the handler, whose patch paths depend on that.
func TestPatchKeepsFieldsOurTypesDoNotKnow(t *testing.T) {
	pod, cm := &corev1.Pod{}, &corev1.ConfigMap{}
	raw := readYAML(t, "rasa-chart", "pod.yaml", pod)
	readYAML(t, "rasa-chart", "configmap.yaml", cm)

	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	spec := doc["spec"].(map[string]any)
	spec["someFutureField"] = "spec"
	assistant := spec["containers"].([]any)[0].(map[string]any)
	assistant["someFutureField"] = "container"
	assistant["ENV"] = "not the env"
	env := assistant["env"].([]any)
	env[len(env)-1].(map[string]any)["someFutureField"] = "env"
	assistant["volumeMounts"].([]any)[0].(map[string]any)["someFutureField"] = "mount"
	raw = mustJSON(t, doc)

	resp := newHandler(cm).Handle(context.Background(), rawPodRequest(pod.Namespace, raw))
	if !resp.Allowed || len(resp.Patches) == 0 {
		t.Fatalf("want an allowed response with a patch, got %+v", resp.Result)
	}
	patched := applyOps(t, raw, resp.Patches)

	var got map[string]any
	if err := json.Unmarshal(patched, &got); err != nil {
		t.Fatal(err)
	}
	spec = got["spec"].(map[string]any)
	assistant = spec["containers"].([]any)[0].(map[string]any)
	env = assistant["env"].([]any)
	mount := assistant["volumeMounts"].([]any)[0].(map[string]any)
	for where, value := range map[string]any{
		"spec.someFutureField":               spec["someFutureField"],
		"spec.containers[0]":                 assistant["someFutureField"],
		"spec.containers[0].env[0]":          env[0].(map[string]any)["someFutureField"],
		"spec.containers[0].volumeMounts[0]": mount["someFutureField"],
		"spec.containers[0].ENV":             assistant["ENV"],
	} {
		if value == nil {
			t.Errorf("the patched pod lost %s", where)
		}
	}
	if mount["name"] != inject.SecretsVolumeName {
		t.Errorf("the endpoints.yml mount reads volume %v, want %s", mount["name"],
			inject.SecretsVolumeName)
	}

	want, _ := mutateDirectly(t, pod, cm)
	if !equality.Semantic.DeepEqual(decodePod(t, patched), want) {
		t.Error("the patch applied to the raw pod differs from inject.Mutate's pod")
	}
}

// TestPatchMatchesMutateForEveryInjectCase runs every pod of pkg/inject's golden cases
// that gets injected through the handler, applies the patch to the pod as written in
// its YAML, and compares the result with inject.Mutate's pod. Every one must be
// patched without diffing whole pods.
func TestPatchMatchesMutateForEveryInjectCase(t *testing.T) {
	inputs, err := filepath.Glob(filepath.Join("..", "inject", "testdata", "*", "input.yaml"))
	if err != nil || len(inputs) == 0 {
		t.Fatalf("no pkg/inject golden cases found: %v", err)
	}

	injected := 0
	for _, input := range inputs {
		name := filepath.Base(filepath.Dir(input))
		t.Run(name, func(t *testing.T) {
			raw, pod, cm := readInjectCase(t, input)
			opts := inject.DefaultOptions()
			opts.SidecarAsContainer = strings.HasPrefix(name, "old-apiserver-")

			decision, target, err := inject.Plan(pod, pod.Namespace, opts)
			if err != nil || !decision.Inject || cm == nil {
				t.Skip("not injected")
			}
			want, _, err := inject.Mutate(pod, cm, target, opts)
			if err != nil {
				t.Skip("denied")
			}
			injected++

			if _, ok := podPatch(pod, want); !ok {
				t.Error("podPatch fell back to diffing whole pods")
			}
			h := &Handler{Reader: clientReader{fake.NewClientBuilder().WithObjects(cm).Build()},
				Options: opts}
			resp := h.Handle(context.Background(), rawPodRequest(pod.Namespace, raw))
			if !resp.Allowed || len(resp.Patches) == 0 {
				t.Fatalf("want an allowed response with a patch, got %+v", resp.Result)
			}
			got := decodePod(t, applyOps(t, raw, resp.Patches))
			if !equality.Semantic.DeepEqual(got, want) {
				t.Error("the patch applied to the raw pod differs from inject.Mutate's pod")
			}
		})
	}
	if injected < 10 {
		t.Errorf("only %d cases were injected; the test lost its inputs", injected)
	}
}

// TestPodPatchWritesValidOperationsForEveryShape checks podPatch on raw pods lacking the
// arrays and maps it adds to, holding them as null or empty, and with annotation keys
// that need escaping in a JSON pointer.
func TestPodPatchWritesValidOperationsForEveryShape(t *testing.T) {
	mutate := func(p *corev1.Pod) *corev1.Pod {
		out := p.DeepCopy()
		if out.Annotations == nil {
			out.Annotations = map[string]string{}
		}
		out.Annotations["example.com/a~b"] = "new"
		out.Spec.Volumes = append(out.Spec.Volumes, corev1.Volume{Name: "added"})
		out.Spec.InitContainers = append([]corev1.Container{{Name: "first"},
			{Name: "second"}}, out.Spec.InitContainers...)
		out.Spec.Containers = append(out.Spec.Containers, corev1.Container{Name: "last"})
		c := &out.Spec.Containers[0]
		c.Env = c.Env[:0]
		if len(c.VolumeMounts) > 0 {
			c.VolumeMounts[0].Name, c.VolumeMounts[0].SubPath = "added", "x.yml"
			c.VolumeMounts[0].ReadOnly = !c.VolumeMounts[0].ReadOnly
		}
		return out
	}

	tests := []struct {
		name string
		raw  string
	}{
		{name: "a pod with none of the members",
			raw: `{"metadata":{"name":"p"},"spec":{"containers":[{"name":"a"}]}}`},
		{name: "a pod holding null everywhere", raw: `{"metadata":{"annotations":null},` +
			`"spec":{"volumes":null,"initContainers":null,"containers":[{"name":"a",` +
			`"env":null,"volumeMounts":null}]}}`},
		{name: "a pod holding empty arrays and maps", raw: `{"metadata":{"annotations":{}},` +
			`"spec":{"volumes":[],"initContainers":[],"containers":[{"name":"a","env":[],` +
			`"volumeMounts":[]}]}}`},
		{name: "a pod with every member filled", raw: `{"metadata":{"annotations":{` +
			`"example.com/a~b":"old","x/y":"z"}},"spec":{"volumes":[{"name":"v"}],` +
			`"initContainers":[{"name":"i"}],"containers":[{"name":"a","env":[{"name":` +
			`"E","value":"1"}],"volumeMounts":[{"name":"v","mountPath":"/m",` +
			`"subPath":"e.yml"}]},{"name":"b"}]}}`},
		{name: "a pod with a read-only mount", raw: `{"metadata":{"name":"p"},"spec":{` +
			`"containers":[{"name":"a","volumeMounts":[{"name":"v","mountPath":"/m",` +
			`"readOnly":true,"someFutureField":1}]}]}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pod := decodePod(t, []byte(tt.raw))
			want := mutate(pod)

			ops, ok := podPatch(pod, want)
			if !ok {
				t.Fatal("podPatch fell back to diffing whole pods")
			}
			if got := decodePod(t, applyOps(t, []byte(tt.raw), ops)); !equality.Semantic.
				DeepEqual(got, want) {
				t.Errorf("the patched pod differs from the mutated one; patch:\n%s",
					mustJSON(t, ops))
			}
		})
	}
}

// TestPodPatchRefusesChangesItDoesNotWrite checks that a change outside the places
// podPatch writes makes it refuse, so the handler diffs the whole pods instead of
// dropping the change.
func TestPodPatchRefusesChangesItDoesNotWrite(t *testing.T) {
	pod := decodePod(t, []byte(`{"metadata":{"labels":{"a":"b"}},"spec":{"volumes":`+
		`[{"name":"v"}],"initContainers":[{"name":"i"}],"containers":[{"name":"a"}]}}`))

	tests := []struct {
		name   string
		change func(*corev1.Pod)
	}{
		{name: "a label", change: func(p *corev1.Pod) { p.Labels["a"] = "c" }},
		{name: "an existing volume", change: func(p *corev1.Pod) {
			p.Spec.Volumes[0].Name = "w"
		}},
		{name: "an init container appended, not prepended", change: func(p *corev1.Pod) {
			p.Spec.InitContainers = append(p.Spec.InitContainers, corev1.Container{Name: "j"})
		}},
		{name: "a container's image", change: func(p *corev1.Pod) {
			p.Spec.Containers[0].Image = "other"
		}},
		{name: "a removed container", change: func(p *corev1.Pod) {
			p.Spec.Containers = nil
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mutated := pod.DeepCopy()
			tt.change(mutated)
			if _, ok := podPatch(pod, mutated); ok {
				t.Error("podPatch accepted a change it does not write")
			}
		})
	}
}

// TestEscapePointer covers RFC 6901's two escapes and their order.
func TestEscapePointer(t *testing.T) {
	for in, want := range map[string]string{
		"rasa-vault-webhook.io/status": "rasa-vault-webhook.io~1status",
		"a~1b":                         "a~01b",
		"plain":                        "plain",
		"~/":                           "~0~1",
	} {
		if got := escapePointer(in); got != want {
			t.Errorf("escapePointer(%q) = %q, want %q", in, got, want)
		}
	}
}

// applyOps applies ops to raw the way the apiserver does and returns the patched JSON.
func applyOps(t *testing.T, raw []byte, ops []gomodulesjsonpatch.Operation) []byte {
	t.Helper()
	patch, err := jsonpatch.DecodePatch(mustJSON(t, ops))
	if err != nil {
		t.Fatal(err)
	}
	patched, err := patch.Apply(raw)
	if err != nil {
		t.Fatalf("the patch does not apply to the raw pod: %v\npatch: %s", err,
			mustJSON(t, ops))
	}
	return patched
}

// decodePod decodes a pod from JSON, case-sensitively as the apiserver and the handler
// do, or fails the test.
func decodePod(t *testing.T, data []byte) *corev1.Pod {
	t.Helper()
	pod := &corev1.Pod{}
	if err := utiljson.Unmarshal(data, pod); err != nil {
		t.Fatal(err)
	}
	return pod
}

// readInjectCase reads a pkg/inject golden input: the pod as raw JSON and decoded, and
// the ConfigMap when the file has one.
func readInjectCase(t *testing.T, path string) ([]byte, *corev1.Pod, *corev1.ConfigMap) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}

	var raw []byte
	var pod *corev1.Pod
	var cm *corev1.ConfigMap
	docs := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	for {
		doc, err := docs.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		var meta struct{ Kind string }
		if err := yaml.Unmarshal(doc, &meta); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		switch meta.Kind {
		case "Pod":
			if raw, err = yaml.YAMLToJSON(doc); err != nil {
				t.Fatalf("%s: %v", path, err)
			}
			pod = decodePod(t, raw)
		case "ConfigMap":
			cm = &corev1.ConfigMap{}
			if err := yaml.Unmarshal(doc, cm); err != nil {
				t.Fatalf("%s: %v", path, err)
			}
		}
	}
	if pod == nil {
		t.Fatalf("%s: no Pod", path)
	}
	return raw, pod, cm
}
