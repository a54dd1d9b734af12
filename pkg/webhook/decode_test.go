package webhook

import (
	"bytes"
	"encoding/json"
	"maps"
	"net/http"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
)

// reviewJSON writes an AdmissionReview by hand, the request's members in the given
// order, each from members.
func reviewJSON(t *testing.T, order []string, members map[string]string) []byte {
	t.Helper()
	var b strings.Builder
	b.WriteString(`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{`)
	for i, name := range order {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`"` + name + `":` + members[name])
	}
	b.WriteString(`}}`)
	return []byte(b.String())
}

// requestMembers are the members of rawPodRequest's request for pod, as JSON.
func requestMembers(t *testing.T, pod *corev1.Pod) map[string]string {
	t.Helper()
	req := rawPodRequest(pod.Namespace, mustJSON(t, pod))
	return map[string]string{
		"uid":       `"` + string(req.UID) + `"`,
		"kind":      string(mustJSON(t, req.Kind)),
		"resource":  string(mustJSON(t, req.Resource)),
		"namespace": `"` + req.Namespace + `"`,
		"operation": `"CREATE"`,
		"userInfo":  `{"username":"system:serviceaccount:kube-system:replicaset-controller"}`,
		"object":    string(req.Object.Raw),
		"oldObject": `null`,
	}
}

// TestServeHTTPPatchesTheSameWhateverTheMemberOrder: the pod is decoded in the same pass
// as the review when "kind" comes before "object", as the apiserver writes it, and
// kept raw and decoded afterwards otherwise; both must give the same answer.
func TestServeHTTPPatchesTheSameWhateverTheMemberOrder(t *testing.T) {
	pod, cm := chartFixture(t)
	members := requestMembers(t, pod)
	h := newHandler(cm)

	orders := map[string][]string{
		"kind first": {"uid", "kind", "resource", "namespace", "operation", "userInfo",
			"object", "oldObject"},
		"object first": {"object", "oldObject", "uid", "userInfo", "namespace", "operation",
			"resource", "kind"},
	}
	patches := map[string][]byte{}
	for name, order := range orders {
		_, req, err := decodeReview(reviewJSON(t, order, members), false)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if onePass := name == "kind first"; (req.pod != nil) != onePass ||
			(req.Object.Raw == nil) != onePass {
			t.Fatalf("%s: decoded pod %v, raw %d bytes", name, req.pod != nil,
				len(req.Object.Raw))
		}
		status, answer := post(t, h, http.MethodPost, "application/json",
			reviewJSON(t, order, members))
		if status != http.StatusOK || answer == nil || answer.Response == nil {
			t.Fatalf("%s: HTTP %d without an answer", name, status)
		}
		resp := answer.Response
		if !resp.Allowed || len(resp.Patch) == 0 || string(resp.UID) != strings.Trim(
			members["uid"], `"`) {
			t.Fatalf("%s: want the patched pod, got allowed=%v %+v", name, resp.Allowed,
				resp.Result)
		}
		patches[name] = resp.Patch
	}
	if !bytes.Equal(patches["kind first"], patches["object first"]) {
		t.Errorf("the patches differ:\nkind first:   %s\nobject first: %s",
			patches["kind first"], patches["object first"])
	}
}

// TestServeHTTPNamesTheRequestOfAPodThatDoesNotDecode: a pod that does not decode is a
// 400 naming the pod, answered under the request's UID so that the apiserver shows it.
func TestServeHTTPNamesTheRequestOfAPodThatDoesNotDecode(t *testing.T) {
	pod, cm := chartFixture(t)
	members := requestMembers(t, pod)
	members["object"] = `{"metadata":{"name":"p"},"spec":{"containers":"not a list"}}`
	order := []string{"uid", "kind", "resource", "namespace", "operation", "object"}

	status, answer := post(t, newHandler(cm), http.MethodPost, "application/json",
		reviewJSON(t, order, members))
	if status != http.StatusOK || answer == nil || answer.Response == nil {
		t.Fatalf("HTTP %d without an answer", status)
	}
	resp := answer.Response
	if resp.Allowed || resp.Result == nil || resp.Result.Code != http.StatusBadRequest ||
		!strings.Contains(resp.Result.Message, "decoding the pod: ") ||
		strings.Contains(resp.Result.Message, "objectIn") ||
		string(resp.UID) != strings.Trim(members["uid"], `"`) {
		t.Errorf("want a 400 naming the pod under uid %s, got uid %q allowed=%v %+v",
			members["uid"], resp.UID, resp.Allowed, resp.Result)
	}
}

// TestServeHTTPRefusesANullRequest: "request": null is no request.
func TestServeHTTPRefusesANullRequest(t *testing.T) {
	_, cm := chartFixture(t)
	body := []byte(`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview",` +
		`"request":null}`)
	status, answer := post(t, newHandler(cm), http.MethodPost, "application/json", body)
	if status != http.StatusOK || answer == nil || answer.Response == nil {
		t.Fatalf("HTTP %d without an answer", status)
	}
	if r := answer.Response; r.Allowed || r.Result == nil ||
		!strings.Contains(r.Result.Message, "no request") {
		t.Errorf("want a denial naming the missing request, got %+v", r.Result)
	}
}

// TestPatchOpsWithoutRawDiffsTheEncodedPod: a pod decoded by ServeHTTP has no raw JSON
// kept; the whole-pod fallback then diffs the pod as encoded, to the same effect.
func TestPatchOpsWithoutRawDiffsTheEncodedPod(t *testing.T) {
	raw := []byte(`{"metadata":{"labels":{"a":"b"}},"spec":{"containers":[{"name":"a"}]}}`)
	pod := decodePod(t, raw)
	mutated := pod.DeepCopy()
	mutated.Labels["a"] = "c" // a place podPatch does not write: whole-pod diff

	for name, in := range map[string][]byte{"raw": raw, "no raw": nil} {
		var r review
		ops, err := patchOps(in, pod, mutated, &r)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !r.wholePodDiff {
			t.Fatalf("%s: the test change did not force the whole-pod diff", name)
		}
		var got corev1.Pod
		if err := json.Unmarshal(applyOps(t, raw, ops), &got); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if got.Labels["a"] != "c" || len(got.Spec.Containers) != 1 {
			t.Errorf("%s: the patched pod is %+v", name, got.ObjectMeta)
		}
	}
}

// TestServeHTTPLeavesTheObjectOfOtherRequestsAlone: only a pod's CREATE is decoded in
// the review's pass, so an UPDATE, or a CREATE of a subresource, whose object would not
// even decode is still allowed untouched, as Handle allows every such request.
func TestServeHTTPLeavesTheObjectOfOtherRequestsAlone(t *testing.T) {
	pod, cm := chartFixture(t)
	members := requestMembers(t, pod)
	members["object"] = `{"spec":{"containers":5}}`
	members["subResource"] = `""`
	order := []string{"uid", "kind", "resource", "subResource", "namespace", "operation",
		"object"}
	for name, change := range map[string]func(map[string]string){
		"an update":     func(m map[string]string) { m["operation"] = `"UPDATE"` },
		"a subresource": func(m map[string]string) { m["subResource"] = `"ephemeralcontainers"` },
	} {
		m := maps.Clone(members)
		change(m)
		status, answer := post(t, newHandler(cm), http.MethodPost, "application/json",
			reviewJSON(t, order, m))
		if status != http.StatusOK || answer == nil || answer.Response == nil {
			t.Fatalf("%s: HTTP %d without an answer", name, status)
		}
		if r := answer.Response; !r.Allowed || len(r.Patch) != 0 {
			t.Errorf("%s: want it allowed untouched, got allowed=%v %+v", name, r.Allowed,
				r.Result)
		}
	}
}
