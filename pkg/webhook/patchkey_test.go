package webhook

import (
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
)

// replica returns the chart pod as the apiserver hands one replica of it to webhooks:
// a token volume named kube-api-access-<suffix> mounted in every container, and
// managedFields written at second.
func replica(t testing.TB, suffix string, second int) *corev1.Pod {
	t.Helper()
	pod, _ := chartFixture(t)
	name := "kube-api-access-" + suffix
	pod.Spec.Volumes = append(pod.Spec.Volumes, corev1.Volume{Name: name,
		VolumeSource: corev1.VolumeSource{Projected: &corev1.ProjectedVolumeSource{
			Sources: []corev1.VolumeProjection{{ServiceAccountToken: &corev1.
				ServiceAccountTokenProjection{Path: "token"}}}}}})
	for i := range pod.Spec.Containers {
		c := &pod.Spec.Containers[i]
		c.VolumeMounts = append(c.VolumeMounts, corev1.VolumeMount{Name: name,
			ReadOnly: true, MountPath: "/var/run/secrets/kubernetes.io/serviceaccount"})
	}
	at := metav1.NewTime(time.Date(2026, 12, 4, 22, 0, second, 0, time.UTC))
	pod.ManagedFields = []metav1.ManagedFieldsEntry{{Manager: "kube-controller-manager",
		Operation: metav1.ManagedFieldsOperationUpdate, APIVersion: "v1", Time: &at,
		FieldsType: "FieldsV1",
		FieldsV1:   &metav1.FieldsV1{Raw: []byte(`{"f:spec":{"f:containers":{}}}`)}}}
	return pod
}

// TestKeyOfLeavesOutOnlyTheTokenVolumeNameAndManagedFields: replicas that differ in
// those two share a key; any other difference, or JSON the normalization cannot be
// sure of, does not.
func TestKeyOfLeavesOutOnlyTheTokenVolumeNameAndManagedFields(t *testing.T) {
	key := func(namespace string, raw []byte) (podKey, error) {
		t.Helper()
		return keyOf(namespace, raw)
	}
	base := mustJSON(t, replica(t, "7x2lq", 1))
	want, err := key("ns", base)
	if err != nil || want.tokenVolume != "kube-api-access-7x2lq" {
		t.Fatalf("key of the replica: %+v, %v", want, err)
	}

	same := map[string][]byte{
		"another token volume name": mustJSON(t, replica(t, "b9mzk", 1)),
		"another second":            mustJSON(t, replica(t, "7x2lq", 59)),
		"both":                      mustJSON(t, replica(t, "q4w2x", 30)),
	}
	for name, raw := range same {
		if got, err := key("ns", raw); err != nil || got.key != want.key {
			t.Errorf("%s: want the same key, got err %v, equal %v", name, err,
				got.key == want.key)
		}
	}

	differ := map[string][]byte{
		"an annotation":          mustJSON(t, withAnnotation(replica(t, "7x2lq", 1), "x")),
		"a six-character suffix": mustJSON(t, replica(t, "7x2lqa", 1)),
		"an upper-case suffix":   mustJSON(t, replica(t, "7X2LQ", 1)),
	}
	for name, raw := range differ {
		if got, err := key("ns", raw); err == nil && got.key == want.key {
			t.Errorf("%s: got the replica's key", name)
		}
	}
	if got, _ := key("other", base); got.key == want.key {
		t.Error("another namespace: got the replica's key")
	}

	twoNames := mustJSON(t, replica(t, "7x2lq", 1))
	twoNames = []byte(strings.Replace(string(twoNames), `"kube-api-access-7x2lq"`,
		`"kube-api-access-b9mzk"`, 1))
	escaped := []byte(strings.Replace(string(base), `"kube-api-access-7x2lq"`,
		`"kube-api-\u0061ccess-7x2lq"`, 1))
	// The name inside a longer string (a $(var) reference, a quoted value) could be
	// what the answer depends on; managedFields that a pod's decode refuses fail the
	// full review, so a key would let a reused answer pass them.
	inString := func(value string) []byte {
		return mustJSON(t, withAnnotation(replica(t, "7x2lq", 1), value))
	}
	badManagedFields := []byte(strings.Replace(string(base), `"time":"2026-12-04T22:00:01Z"`,
		`"time":"yesterday"`, 1))
	if string(badManagedFields) == string(base) {
		t.Fatal("the replica has no managedFields time to break")
	}
	for name, raw := range map[string][]byte{
		"two token volume names": twoNames, "an escaped letter": escaped,
		"not an object": []byte(`["kube-api-access-7x2lq"]`), "not JSON": []byte(`{"a":`),
		"a $(reference) to the name":       inString("$(kube-api-access-7x2lq)"),
		"a string ending with a name":      inString(`"kube-api-access-7x2lq`),
		"managedFields that do not decode": badManagedFields,
	} {
		if got, err := key("ns", raw); err == nil {
			t.Errorf("%s: want no key, got %+v", name, got)
		}
	}
}

// withAnnotation adds the annotation "note" with value to pod.
func withAnnotation(pod *corev1.Pod, value string) *corev1.Pod {
	pod.Annotations["note"] = value
	return pod
}

// TestPatchCacheServesReplicas: replicas whose token volume and managedFields differ
// are answered from the cache with what a full review of each answers.
func TestPatchCacheServesReplicas(t *testing.T) {
	_, cm := chartFixture(t)
	h := cachingHandler(fake.NewClientBuilder().WithObjects(cm).Build(), true, nil)
	full := newHandler(cm)
	before := value(t, "patches_reused_total", "")
	for i, suffix := range []string{"7x2lq", "b9mzk", "q4w2x"} {
		req := podRequest(t, replica(t, suffix, i))
		got, want := postReview(t, h, req, suffix), postReview(t, full, req, suffix)
		if !got.Allowed || len(got.Patch) == 0 || string(got.Patch) != string(want.Patch) {
			t.Fatalf("replica %d: the answer differs from a full review's:\ngot  %s\nwant %s",
				i, got.Patch, want.Patch)
		}
	}
	if got := value(t, "patches_reused_total", "") - before; got != 2 {
		t.Errorf("patches_reused_total went up by %v, want 2", got)
	}
}

// FuzzKeyOf: keyOf never panics, and a key it gives is the same for the same input.
func FuzzKeyOf(f *testing.F) {
	f.Add([]byte(`{"metadata":{"managedFields":[{}]},"spec":{"volumes":` +
		`[{"name":"kube-api-access-7x2lq"}]}}`))
	f.Add([]byte(`{"a":"\"kube-api-access-7x2lq\"","b":"\u0041"}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		k1, err1 := keyOf("ns", raw)
		k2, err2 := keyOf("ns", raw)
		if (err1 == nil) != (err2 == nil) || k1 != k2 {
			t.Fatalf("two keys for one input: %+v %v / %+v %v", k1, err1, k2, err2)
		}
	})
}

// BenchmarkKeyOf times the key of one replica of the chart pod.
func BenchmarkKeyOf(b *testing.B) {
	raw := mustJSON(b, replica(b, "7x2lq", 1))
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := keyOf("ns", raw); err != nil {
			b.Fatal(err)
		}
	}
}

// TestPatchCacheKeepsNoAnswerOfAConfigMapThatMentionsATokenVolume: endpoints.yml could
// expand a variable named after a pod's token volume, so its answers are not reused.
func TestPatchCacheKeepsNoAnswerOfAConfigMapThatMentionsATokenVolume(t *testing.T) {
	_, cm := chartFixture(t)
	cm.Data["endpoints"] += "# see kube-api-access-7x2lq\n"
	h := cachingHandler(fake.NewClientBuilder().WithObjects(cm).Build(), true, nil)
	for _, suffix := range []string{"7x2lq", "b9mzk"} {
		got := postReview(t, h, podRequest(t, replica(t, suffix, 1)), suffix)
		if !got.Allowed || len(got.Patch) == 0 {
			t.Fatalf("replica %s: want a patch, got %q", suffix, messageOf(got))
		}
	}
	if n := h.Patches.entries.Len(); n != 0 {
		t.Errorf("kept %d answers, want none", n)
	}
}

// TestPatchCacheGivesNoStoredAnswerToManagedFieldsThatDoNotDecode: the key leaves
// managedFields out, so a replica whose managedFields a full review refuses shares a
// stored answer's key; it must still get the full review's error, not the answer.
func TestPatchCacheGivesNoStoredAnswerToManagedFieldsThatDoNotDecode(t *testing.T) {
	_, cm := chartFixture(t)
	h := cachingHandler(fake.NewClientBuilder().WithObjects(cm).Build(), true, nil)
	if got := postReview(t, h, podRequest(t, replica(t, "7x2lq", 1)), "first"); !got.Allowed {
		t.Fatalf("first replica: want a patch, got %q", messageOf(got))
	}
	good := reviewBody(t, podRequest(t, replica(t, "b9mzk", 2)), "bad")
	bad := []byte(strings.Replace(string(good), `"time":"2026-12-04T22:00:02Z"`,
		`"time":"yesterday"`, 1))
	if string(bad) == string(good) {
		t.Fatal("the replica has no managedFields time to break")
	}
	goodKey, _, err := reviewKey(good)
	if badKey, _, badErr := reviewKey(bad); err != nil || badErr != nil ||
		badKey.key != goodKey.key {
		t.Fatalf("want one key for both replicas: %v, %v, same %v", err, badErr,
			badKey.key == goodKey.key)
	}
	before := value(t, "patches_reused_total", "")

	status, answer := post(t, h, "POST", "application/json", bad)

	if answer != nil && answer.Response != nil && answer.Response.Allowed {
		t.Fatalf("HTTP %d: the pod with broken managedFields was allowed (patch %s)",
			status, answer.Response.Patch)
	}
	if got := value(t, "patches_reused_total", "") - before; got != 0 {
		t.Errorf("patches_reused_total went up by %v, want 0", got)
	}
}
