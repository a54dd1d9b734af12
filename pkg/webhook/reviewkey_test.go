package webhook

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	admissionv1 "k8s.io/api/admission/v1"
)

// TestReviewKeyLeavesOutTheRequestAroundThePod: two reviews of replicas share a key
// whatever their UIDs and users; the namespace and the pod still count, and a review
// that is not a pod CREATE written in the apiserver's order gets no key.
func TestReviewKeyLeavesOutTheRequestAroundThePod(t *testing.T) {
	key := func(body []byte) (podKey, error) {
		t.Helper()
		k, _, err := reviewKey(body)
		return k, err
	}
	first := reviewBody(t, podRequest(t, replica(t, "7x2lq", 1)), "uid-1")
	want, err := key(first)
	if err != nil || want.tokenVolume != "kube-api-access-7x2lq" {
		t.Fatalf("key of the first replica: %+v, %v", want, err)
	}
	other := podRequest(t, replica(t, "b9mzk", 2))
	other.UserInfo.Username = "someone-else"
	if got, err := key(reviewBody(t, other, "uid-2")); err != nil || got.key != want.key {
		t.Errorf("another replica, UID and user: err %v, same key %v", err, got.key == want.key)
	}
	if got, err := keyOf(want.key.namespace, mustJSON(t, replica(t, "7x2lq", 1))); err != nil ||
		got.tokenVolume != want.tokenVolume {
		t.Errorf("keyOf of the pod alone: %+v, %v", got, err)
	}

	moved := podRequest(t, replica(t, "7x2lq", 1))
	moved.Namespace = "elsewhere"
	changed := podRequest(t, withAnnotation(replica(t, "7x2lq", 1), "x"))
	for name, req := range map[string]Request{"another namespace": moved,
		"another pod": changed} {
		if got, err := key(reviewBody(t, req, "uid-3")); err != nil || got.key == want.key {
			t.Errorf("%s: err %v, same key %v", name, err, got.key == want.key)
		}
	}

	members := requestMembers(t, replica(t, "7x2lq", 1))
	notKeyed := map[string][]byte{
		"an update": reviewBody(t, withOperation(podRequest(t, replica(t, "7x2lq", 1)),
			admissionv1.Update), "u"),
		"namespace after the object": reviewJSON(t, []string{"uid", "kind", "resource",
			"operation", "object", "namespace"}, members),
		"no object": reviewJSON(t, []string{"uid", "kind", "namespace", "operation"}, members),
		// The decoder unescapes the name: this is the status subresource's review.
		"an escaped member name": []byte(strings.Replace(string(first),
			`"operation":"CREATE"`, `"operation":"CREATE","subResourc\u0065":"status"`, 1)),
	}
	if string(notKeyed["an escaped member name"]) == string(first) {
		t.Fatal("the review has no operation member to follow")
	}
	for name, body := range notKeyed {
		if _, err := key(body); !errors.Is(err, errNotKeyed) {
			t.Errorf("%s: want errNotKeyed, got %v", name, err)
		}
	}
	// The placeholder that stands for the token volume name is a NUL byte: a body with
	// one in its place must not share the replica's key.
	name := []byte(`"kube-api-access-7x2lq"`)
	i := bytes.LastIndex(first, name)
	nul := append(append(bytes.Clone(first[:i]), 0), first[i+len(name):]...)
	if got, err := key(nul); err == nil {
		t.Errorf("a NUL where the name was: got a key (same as the replica's: %v)",
			got.key == want.key)
	}
	if _, err := key([]byte(`{"request":{"kind":`)); err == nil ||
		!strings.Contains(err.Error(), "scanning the review") {
		t.Errorf("a cut review: want a scanning error, got %v", err)
	}
}

// FuzzReviewKey: reviewKey never panics and gives one key for one input.
func FuzzReviewKey(f *testing.F) {
	f.Add([]byte(`{"request":{"kind":{"kind":"Pod","version":"v1"},"namespace":"n",` +
		`"operation":"CREATE","object":{"metadata":{"managedFields":[]}}}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		k1, _, err1 := reviewKey(body)
		k2, _, err2 := reviewKey(body)
		if (err1 == nil) != (err2 == nil) || k1 != k2 {
			t.Fatalf("two keys for one input: %+v %v / %+v %v", k1, err1, k2, err2)
		}
	})
}
