package webhook

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"

	admissionv1 "k8s.io/api/admission/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/yaml"
)

var update = flag.Bool("update", false, "rewrite the golden patch.json files in testdata")

// readYAML reads one Kubernetes object from testdata/<dir>/<file>, strictly.
func readYAML(t testing.TB, dir, file string, into any) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", dir, file))
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.UnmarshalStrict(data, into); err != nil {
		t.Fatalf("%s/%s: %v", dir, file, err)
	}
	raw, err := yaml.YAMLToJSON(data)
	if err != nil {
		t.Fatalf("%s/%s: %v", dir, file, err)
	}
	return raw
}

// podRequest builds the admission request the apiserver would send for creating pod.
func podRequest(t *testing.T, pod *corev1.Pod) Request {
	t.Helper()
	raw, err := json.Marshal(pod)
	if err != nil {
		t.Fatal(err)
	}
	return rawPodRequest(pod.Namespace, raw)
}

// rawPodRequest is podRequest for a pod already in JSON.
func rawPodRequest(namespace string, raw []byte) Request {
	return Request{AdmissionRequest: admissionv1.AdmissionRequest{
		UID:       types.UID("705ab4f5-6393-11e8-b7cc-42010a800002"),
		Kind:      metav1.GroupVersionKind{Version: "v1", Kind: "Pod"},
		Resource:  metav1.GroupVersionResource{Version: "v1", Resource: "pods"},
		Namespace: namespace,
		Operation: admissionv1.Create,
		Object:    runtime.RawExtension{Raw: raw},
	}}
}

// compareGolden compares got with testdata/<dir>/<file>, or rewrites it with -update.
func compareGolden(t *testing.T, dir, file string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", dir, file)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(want, got) {
		t.Errorf("%s differs from the patch produced now (run go test -update and review "+
			"the diff); got:\n%s", path, got)
	}
}

// mustJSON encodes v or fails the test.
func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// forEachGolden runs check as a subtest for every testdata/<case>/pod.yaml, with the
// pod, its configmap.yaml and the pod's raw JSON as the apiserver would send it.
func forEachGolden(t *testing.T,
	check func(t *testing.T, dir string, pod *corev1.Pod, cm *corev1.ConfigMap, raw []byte),
) {
	t.Helper()
	dirs, err := filepath.Glob(filepath.Join("testdata", "*", "pod.yaml"))
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no golden cases found: %v", err)
	}
	for _, golden := range dirs {
		dir := filepath.Base(filepath.Dir(golden))
		t.Run(dir, func(t *testing.T) {
			pod, cm := &corev1.Pod{}, &corev1.ConfigMap{}
			raw := readYAML(t, dir, "pod.yaml", pod)
			readYAML(t, dir, "configmap.yaml", cm)
			check(t, dir, pod, cm, raw)
		})
	}
}
