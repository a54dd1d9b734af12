package webhook

import (
	"context"
	"crypto/sha256"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	admissionv1 "k8s.io/api/admission/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	"github.com/rasa-vault-webhook/rasa-vault-webhook/pkg/inject"
)

// cachingHandler returns a Handler with a PatchCache over api, and no ConfigMapCache
// unless cmCache: every review then GETs the ConfigMap, so a change shows at once.
func cachingHandler(api client.Client, cmCache bool, log *strings.Builder) *Handler {
	h := &Handler{Reader: clientReader{api}, Options: inject.DefaultOptions(),
		Patches: NewPatchCache()}
	if cmCache {
		h.Cache = NewConfigMapCache()
	}
	if log != nil {
		h.Logger = captureLogs(log)
	}
	return h
}

// reviewBody is the AdmissionReview the apiserver would POST for req, under uid.
func reviewBody(t *testing.T, req Request, uid string) []byte {
	t.Helper()
	req.UID = types.UID(uid)
	return mustJSON(t, admissionv1.AdmissionReview{TypeMeta: admissionReviewType,
		Request: &req.AdmissionRequest})
}

// postReview POSTs req to h under uid and returns the answer, which must carry uid.
func postReview(t *testing.T, h *Handler, req Request, uid string) *admissionv1.AdmissionResponse {
	t.Helper()
	status, answer := post(t, h, "POST", "application/json", reviewBody(t, req, uid))
	if status != 200 || answer == nil || answer.Response == nil {
		t.Fatalf("HTTP %d without an answer", status)
	}
	if got := string(answer.Response.UID); got != uid {
		t.Fatalf("answer for uid %q carries uid %q", uid, got)
	}
	return answer.Response
}

// TestPatchCacheAnswersARepeatedPodAsAFullReviewWould: the replicas of one pod get the
// patch and warnings a handler without the cache gives, each under its own UID, and
// the log and metrics say which answers were reused.
func TestPatchCacheAnswersARepeatedPodAsAFullReviewWould(t *testing.T) {
	pod, cm := chartFixture(t)
	req := podRequest(t, pod)
	want := postReview(t, newHandler(cm), req, "full")
	if !want.Allowed || len(want.Patch) == 0 {
		t.Fatalf("the full review did not patch: %+v", want.Result)
	}

	var log strings.Builder
	h := cachingHandler(fake.NewClientBuilder().WithObjects(cm).Build(), true, &log)
	before := value(t, "patches_reused_total", "")
	for i, uid := range []string{"first", "second", "third"} {
		got := postReview(t, h, req, uid)
		if !got.Allowed || string(got.Patch) != string(want.Patch) ||
			strings.Join(got.Warnings, "|") != strings.Join(want.Warnings, "|") ||
			got.PatchType == nil || *got.PatchType != admissionv1.PatchTypeJSONPatch {
			t.Fatalf("answer %d differs from the full review's:\ngot  %s %q\nwant %s %q",
				i, got.Patch, got.Warnings, want.Patch, want.Warnings)
		}
	}
	if got := value(t, "patches_reused_total", "") - before; got != 2 {
		t.Errorf("patches_reused_total went up by %v, want 2", got)
	}
	lines := strings.Split(strings.TrimSpace(log.String()), "\n")
	if len(lines) != 3 {
		t.Fatalf("want 3 log lines, got %d:\n%s", len(lines), log.String())
	}
	for i, line := range lines {
		reused := strings.Contains(line, `"patchReused"=true`)
		if reused != (i > 0) || !strings.Contains(line, `"outcome"="patched"`) ||
			!strings.Contains(line, `"pod"="`+pod.GenerateName+`"`) {
			t.Errorf("log line %d: want patched, pod named, patchReused=%v:\n%s", i, i > 0,
				line)
		}
	}
}

// brokenSecretKey returns cm with the password's secret_key emptied, which the webhook
// denies.
func brokenSecretKey(t *testing.T, cm *corev1.ConfigMap) *corev1.ConfigMap {
	t.Helper()
	broken := cm.DeepCopy()
	broken.Data["endpoints"] = strings.Replace(cm.Data["endpoints"],
		"secret_key: sql_store_password", `secret_key: ""`, 1)
	if broken.Data["endpoints"] == cm.Data["endpoints"] {
		t.Fatal("the fixture has no password secret_key to break")
	}
	return broken
}

// TestPatchCacheSeesEveryChangeOfTheConfigMap: a ConfigMap broken, fixed or deleted
// after a pod was injected changes the next identical pod's answer at once (with the
// ConfigMap cache off), to exactly what a handler without the PatchCache answers.
func TestPatchCacheSeesEveryChangeOfTheConfigMap(t *testing.T) {
	pod, cm := chartFixture(t)
	req := podRequest(t, pod)
	ctx := context.Background()
	api := fake.NewClientBuilder().WithObjects(cm).Build()
	h := cachingHandler(api, false, nil)
	full := &Handler{Reader: clientReader{api}, Options: inject.DefaultOptions()}

	steps := []struct {
		name  string
		apply func(current *corev1.ConfigMap) error
		want  string // "patched" or a part of the denial
	}{
		{"as created", func(*corev1.ConfigMap) error { return nil }, "patched"},
		{"repeated", func(*corev1.ConfigMap) error { return nil }, "patched"},
		{"broken", func(current *corev1.ConfigMap) error {
			return api.Update(ctx, brokenSecretKey(t, current))
		}, "secret_key"},
		{"fixed", func(current *corev1.ConfigMap) error {
			fixed := current.DeepCopy()
			fixed.Data = cm.Data
			return api.Update(ctx, fixed)
		}, "patched"},
		{"deleted", func(current *corev1.ConfigMap) error {
			return api.Delete(ctx, current)
		}, "not found"},
	}
	for _, step := range steps {
		current := &corev1.ConfigMap{}
		if err := api.Get(ctx, client.ObjectKeyFromObject(cm), current); err == nil {
			if err := step.apply(current); err != nil {
				t.Fatalf("%s: %v", step.name, err)
			}
		}
		got := postReview(t, h, req, step.name)
		want := postReview(t, full, req, step.name)
		if got.Allowed != want.Allowed || string(got.Patch) != string(want.Patch) ||
			messageOf(got) != messageOf(want) {
			t.Fatalf("%s: the cached handler answered allowed=%v %q, a full review "+
				"allowed=%v %q", step.name, got.Allowed, messageOf(got), want.Allowed,
				messageOf(want))
		}
		if patched := got.Allowed && len(got.Patch) > 0; patched != (step.want == "patched") ||
			(!patched && !strings.Contains(messageOf(got), step.want)) {
			t.Fatalf("%s: want %q, got allowed=%v %q", step.name, step.want, got.Allowed,
				messageOf(got))
		}
	}
}

// messageOf is the answer's status message, or "" without one.
func messageOf(resp *admissionv1.AdmissionResponse) string {
	if resp.Result == nil {
		return ""
	}
	return resp.Result.Message
}

// TestPatchCacheKeysByNamespace: the same pod JSON (without a namespace, as a
// controller may send it) in another namespace is reviewed against that namespace's
// own ConfigMap.
func TestPatchCacheKeysByNamespace(t *testing.T) {
	pod, cm := chartFixture(t)
	pod.Namespace = ""
	other := brokenSecretKey(t, cm)
	other.Namespace = "other"
	h := cachingHandler(fake.NewClientBuilder().WithObjects(cm, other).Build(), true, nil)

	raw := mustJSON(t, pod)
	if got := postReview(t, h, rawPodRequest(cm.Namespace, raw), "a"); !got.Allowed ||
		len(got.Patch) == 0 {
		t.Fatalf("namespace %s: want a patch, got %q", cm.Namespace, messageOf(got))
	}
	got := postReview(t, h, rawPodRequest("other", raw), "b")
	if got.Allowed || !strings.Contains(messageOf(got), "secret_key") {
		t.Fatalf("namespace other: want the denial of its broken ConfigMap, got "+
			"allowed=%v %q", got.Allowed, messageOf(got))
	}
}

// keyed is a podKey in namespace "ns" made from s alone.
func keyed(s string) podKey {
	return podKey{key: patchKey{namespace: "ns", sum: sha256.Sum256([]byte(s))}}
}

// TestPatchCacheBoundsWhatItKeeps: no patch over MaxCachedAnswerBytes, none that could
// not be checked against a resourceVersion, none that mentions what its key left out,
// answers over MaxCachedAnswerBytes with their warnings, and at most
// DefaultPatchEntries.
func TestPatchCacheBoundsWhatItKeeps(t *testing.T) {
	c := NewPatchCache()
	small := func() *cachedPatch {
		return &cachedPatch{configMap: "cm", resourceVersion: "1", patch: []byte("[]")}
	}
	huge := small()
	huge.patch = make([]byte, MaxCachedAnswerBytes+1)
	c.add(keyed("huge"), huge)
	unversioned := small()
	unversioned.resourceVersion = ""
	c.add(keyed("unversioned"), unversioned)
	managed := small()
	managed.patch = []byte(`[{"op":"remove","path":"/metadata/managedFields/0"}]`)
	c.add(keyed("managed"), managed)
	withToken := keyed("token volume")
	withToken.tokenVolume = "kube-api-access-7x2lq"
	longWarnings := small()
	for range 64 {
		longWarnings.warnings = append(longWarnings.warnings, strings.Repeat("w", 256))
	}
	c.add(keyed("long warnings"), longWarnings)
	inPatch, inWarning, inTarget := small(), small(), small()
	inPatch.patch = []byte(`[{"op":"add","path":"/x","value":"kube-api-access-7x2lq"}]`)
	inWarning.warnings = []string{"volume kube-api-access-7x2lq is odd"}
	inTarget.target.VolumeName = "kube-api-access-7x2lq"
	for _, e := range []*cachedPatch{inPatch, inWarning, inTarget} {
		c.add(withToken, e)
	}
	if c.entries.Len() != 0 {
		t.Fatalf("kept %d entries, want none", c.entries.Len())
	}
	c.add(withToken, small())
	if _, ok := c.get(withToken.key); !ok {
		t.Fatal("an entry that does not mention the token volume was not kept")
	}

	c = NewPatchCache()
	for i := range DefaultPatchEntries + 10 {
		c.add(keyed("pod-"+strconv.Itoa(i)), small())
	}
	if c.entries.Len() != DefaultPatchEntries {
		t.Errorf("kept %d entries, want %d", c.entries.Len(), DefaultPatchEntries)
	}
	if _, ok := c.get(keyed("pod-0").key); ok {
		t.Error("the least recently used entry is still there")
	}
	if _, ok := c.get(keyed("pod-" + strconv.Itoa(DefaultPatchEntries+9)).key); !ok {
		t.Error("the newest entry is gone")
	}
}

// TestPatchCacheLogsTheRequestsOwnName: a pod with neither name nor generateName is
// logged under its request's name, also when its answer is reused.
func TestPatchCacheLogsTheRequestsOwnName(t *testing.T) {
	pod, cm := chartFixture(t)
	pod.GenerateName, pod.Name = "", ""
	var log strings.Builder
	h := cachingHandler(fake.NewClientBuilder().WithObjects(cm).Build(), true, &log)
	for _, name := range []string{"first-pod", "second-pod"} {
		req := podRequest(t, pod)
		req.Name = name
		if got := postReview(t, h, req, name); !got.Allowed || len(got.Patch) == 0 {
			t.Fatalf("%s: not patched: %q", name, messageOf(got))
		}
	}
	lines := strings.Split(strings.TrimSpace(log.String()), "\n")
	if len(lines) != 2 || !strings.Contains(lines[1], `"patchReused"=true`) ||
		!strings.Contains(lines[1], `"pod"="second-pod"`) {
		t.Errorf("want the second answer reused and logged as second-pod:\n%s", log.String())
	}
}

// TestAStaleEntryCostsOneGET: a replica whose stored answer was made with an older
// ConfigMap version is reviewed in full against the ConfigMap its lookup returned, not
// a second one (without the ConfigMap cache, each lookup is a GET).
func TestAStaleEntryCostsOneGET(t *testing.T) {
	pod, cm := chartFixture(t)
	var gets atomic.Int64
	api := countingClient(&gets, cm)
	h := cachingHandler(api, false, nil)
	req := podRequest(t, pod)
	postReview(t, h, req, "first")

	current := &corev1.ConfigMap{}
	if err := api.Get(context.Background(), client.ObjectKeyFromObject(cm), current); err != nil {
		t.Fatal(err)
	}
	current.Data["endpoints"] += "# edited\n"
	if err := api.Update(context.Background(), current); err != nil {
		t.Fatal(err)
	}
	before := gets.Load()
	if got := postReview(t, h, req, "second"); !got.Allowed || len(got.Patch) == 0 {
		t.Fatalf("want a patch against the edited ConfigMap, got %q", messageOf(got))
	}
	if n := gets.Load() - before; n != 1 {
		t.Errorf("the review of a stale entry made %d GETs, want 1", n)
	}
}
