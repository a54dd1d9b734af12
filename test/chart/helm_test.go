package chart

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"github.com/rasa-vault-webhook/rasa-vault-webhook/test/harness"
)

// helm runs the helm binary built by test/tools/build.sh with its own config, cache and
// data directories, so a test never reads or writes the user's helm state.
type helm struct {
	bin, chart, home string
}

func newHelm(t *testing.T) *helm {
	t.Helper()
	ctx := context.Background()
	bin, err := harness.ToolPath(ctx, "helm")
	if err != nil {
		t.Fatal(err)
	}
	root, err := harness.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	return &helm{
		bin:   bin,
		chart: filepath.Join(root, "charts", "rasa-vault-webhook"),
		home:  t.TempDir(),
	}
}

// run executes helm with args and returns stdout; stderr is part of the error.
func (h *helm) run(ctx context.Context, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, h.bin, args...)
	cmd.Env = append(os.Environ(),
		"HELM_CACHE_HOME="+filepath.Join(h.home, "cache"),
		"HELM_CONFIG_HOME="+filepath.Join(h.home, "config"),
		"HELM_DATA_HOME="+filepath.Join(h.home, "data"),
		"KUBECONFIG="+filepath.Join(h.home, "no-kubeconfig"),
	)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.String(), fmt.Errorf("helm %s: %w\n%s",
			strings.Join(args, " "), err, stderr.String())
	}
	return stdout.String(), nil
}

// rendered is the output of helm template split into objects.
type rendered struct {
	objects []*unstructured.Unstructured
	docs    map[string][]byte // raw YAML of each object by "Kind/name"
}

// template renders the chart as release "rvw" in namespace "rvw-system" with set
// (key=value pairs for --set).
func (h *helm) template(ctx context.Context, set ...string) (*rendered, error) {
	args := []string{"template", "rvw", h.chart, "--namespace", releaseNamespace}
	for _, s := range set {
		args = append(args, "--set", s)
	}
	out, err := h.run(ctx, args...)
	if err != nil {
		return nil, err
	}
	return parseManifests(out)
}

// releaseNamespace is where the tests install the chart.
const releaseNamespace = "rvw-system"

// parseManifests splits a multi-document YAML stream into objects, rejecting a document
// that is not a Kubernetes object.
func parseManifests(out string) (*rendered, error) {
	r := &rendered{docs: map[string][]byte{}}
	for _, doc := range strings.Split(out, "\n---") {
		if strings.TrimSpace(stripComments(doc)) == "" {
			continue
		}
		obj := &unstructured.Unstructured{}
		if err := yaml.Unmarshal([]byte(doc), &obj.Object); err != nil {
			return nil, fmt.Errorf("parsing rendered document: %w\n%s", err, doc)
		}
		if obj.GetKind() == "" || obj.GetAPIVersion() == "" || obj.GetName() == "" {
			return nil, fmt.Errorf("rendered document is not a Kubernetes object:\n%s", doc)
		}
		key := obj.GetKind() + "/" + obj.GetName()
		if _, dup := r.docs[key]; dup {
			return nil, fmt.Errorf("%s rendered twice", key)
		}
		r.objects = append(r.objects, obj)
		r.docs[key] = []byte(doc)
	}
	return r, nil
}

func stripComments(doc string) string {
	var keep []string
	for _, line := range strings.Split(doc, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(line), "#") {
			keep = append(keep, line)
		}
	}
	return strings.Join(keep, "\n")
}

// kinds counts the rendered objects of each kind.
func (r *rendered) kinds() map[string]int {
	n := map[string]int{}
	for _, o := range r.objects {
		n[o.GetKind()]++
	}
	return n
}

// only returns the single object of kind, failing the test when there is not exactly one.
func (r *rendered) only(t *testing.T, kind string) *unstructured.Unstructured {
	t.Helper()
	var found []*unstructured.Unstructured
	for _, o := range r.objects {
		if o.GetKind() == kind {
			found = append(found, o)
		}
	}
	if len(found) != 1 {
		t.Fatalf("rendered %d objects of kind %s, want 1", len(found), kind)
	}
	return found[0]
}

// decode strictly decodes the single object of kind into a typed value: a field the
// Kubernetes type does not know is an error, as the API server would warn or reject.
func decode[T any](t *testing.T, r *rendered, kind string) *T {
	t.Helper()
	obj := r.only(t, kind)
	var v T
	if err := yaml.UnmarshalStrict(r.docs[kind+"/"+obj.GetName()], &v); err != nil {
		t.Fatalf("decoding %s/%s strictly: %v", kind, obj.GetName(), err)
	}
	return &v
}
