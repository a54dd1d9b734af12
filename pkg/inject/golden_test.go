package inject

import (
	"bytes"
	"flag"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"
)

var update = flag.Bool("update", false, "rewrite the golden output.yaml files in testdata")

// goldenResult is what testdata/<case>/output.yaml holds: the outcome of Decide, Locate
// and Mutate for the pod and ConfigMap in input.yaml.
type goldenResult struct {
	Decision string
	Target   *Target
	Denial   []string
	Warnings []string
	Pod      *corev1.Pod
}

// marshal writes the result with the short fields first and the pod last, so a reader
// sees the outcome before the details.
func (r goldenResult) marshal(t *testing.T) []byte {
	t.Helper()
	var out bytes.Buffer
	sections := []struct {
		key   string
		value any
		empty bool
	}{
		{"decision", r.Decision, false},
		{"target", r.Target, r.Target == nil},
		{"denial", r.Denial, r.Denial == nil},
		{"warnings", r.Warnings, r.Warnings == nil},
		{"pod", r.Pod, r.Pod == nil},
	}
	for _, s := range sections {
		if s.empty {
			continue
		}
		data, err := yaml.Marshal(map[string]any{s.key: s.value})
		if err != nil {
			t.Fatalf("marshal %s: %v", s.key, err)
		}
		out.Write(data)
	}
	return out.Bytes()
}

// TestGolden runs every case in testdata through the three steps the way the admission
// handler does and compares the outcome with output.yaml (go test -update rewrites it).
func TestGolden(t *testing.T) {
	dirs, err := filepath.Glob(filepath.Join("testdata", "*", "input.yaml"))
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no golden cases found: %v", err)
	}

	for _, input := range dirs {
		dir := filepath.Dir(input)
		t.Run(filepath.Base(dir), func(t *testing.T) {
			pod, cm := readInput(t, input)
			before := pod.DeepCopy()

			got := runSteps(t, pod, cm)
			if !equality.Semantic.DeepEqual(before, pod) {
				t.Error("the input pod was modified")
			}
			if got.Pod != nil {
				for _, v := range restrictedViolations(got.Pod) {
					t.Errorf("restricted Pod Security Standard: %s", v)
				}
			}

			compareGolden(t, filepath.Join(dir, "output.yaml"), got.marshal(t))
		})
	}
}

// runSteps mirrors the admission handler, with cm standing in for the API; opts are
// the defaults unless the case's directory name asks for the old-apiserver mode.
func runSteps(t *testing.T, pod *corev1.Pod, cm *corev1.ConfigMap) goldenResult {
	t.Helper()
	opts := DefaultOptions()
	opts.SidecarAsContainer = strings.HasPrefix(path.Base(t.Name()), "old-apiserver-")

	decision, target, err := Plan(pod, pod.Namespace, opts)
	if err != nil {
		return denialResult(t, decision.Reason, err)
	}
	if !decision.Inject {
		return goldenResult{Decision: decision.Reason}
	}
	if cm == nil || cm.Name != target.ConfigMapName {
		t.Fatalf("input.yaml lacks ConfigMap %q that Locate asks for", target.ConfigMapName)
	}

	mutated, warnings, err := Mutate(pod, cm, target, opts)
	result := goldenResult{Decision: decision.Reason, Target: &target}
	if err != nil {
		denied := denialResult(t, decision.Reason, err)
		denied.Target = &target
		return denied
	}
	result.Warnings, result.Pod = warnings, mutated
	return result
}

// denialResult records a denial; any other error fails the test.
func denialResult(t *testing.T, decision string, err error) goldenResult {
	t.Helper()
	d, ok := IsDenial(err)
	if !ok {
		t.Fatalf("want a *Denial, got %T: %v", err, err)
	}
	if len(d.Problems) == 0 {
		t.Fatal("a denial without problems")
	}
	return goldenResult{Decision: decision, Denial: d.Problems}
}

// readInput reads the Pod and the optional ConfigMap from a multi-document YAML file.
func readInput(t testing.TB, path string) (*corev1.Pod, *corev1.ConfigMap) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}

	var pod *corev1.Pod
	var cm *corev1.ConfigMap
	docs := utilyaml.NewYAMLReader(bufioReader(data))
	for {
		doc, err := docs.Read()
		if err != nil {
			break
		}
		var meta struct{ Kind string }
		if err := yaml.Unmarshal(doc, &meta); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		switch meta.Kind {
		case "Pod":
			pod = &corev1.Pod{}
			err = yaml.UnmarshalStrict(doc, pod)
		case "ConfigMap":
			cm = &corev1.ConfigMap{}
			err = yaml.UnmarshalStrict(doc, cm)
		case "":
			continue
		default:
			t.Fatalf("%s: unexpected kind %q", path, meta.Kind)
		}
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
	}
	if pod == nil {
		t.Fatalf("%s: no Pod", path)
	}
	return pod, cm
}

// compareGolden compares got with the file at path, or rewrites it with -update.
func compareGolden(t *testing.T, path string, got []byte) {
	t.Helper()
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
		t.Errorf("%s differs (run go test -update and review the diff):\n%s",
			path, lineDiff(string(want), string(got)))
	}
}
