package webhook

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"
)

// badInputDir holds the shared bad-input table and its expected messages.
var badInputDir = filepath.Join("..", "..", "test", "testdata")

// badInputTable is test/testdata/bad-input.yaml.
type badInputTable struct {
	Base struct {
		ConfigMap corev1.ConfigMap `json:"configMap"`
		Pod       corev1.Pod       `json:"pod"`
	} `json:"base"`
	Cases []badInputCase `json:"cases"`
}

// badInputCase changes the base pod or ConfigMap in one way.
type badInputCase struct {
	Name        string            `json:"name"`
	Annotations map[string]string `json:"annotations"`
	Endpoints   *string           `json:"endpoints"`
	NoConfigMap bool              `json:"noConfigMap"`
}

// build returns the case's pod and ConfigMap (nil when the case has none).
func (c badInputCase) build(table *badInputTable) (*corev1.Pod, *corev1.ConfigMap) {
	pod, cm := table.Base.Pod.DeepCopy(), table.Base.ConfigMap.DeepCopy()
	for k, v := range c.Annotations {
		pod.Annotations[k] = v
	}
	if c.Endpoints != nil {
		cm.Data["endpoints"] = *c.Endpoints
	}
	if c.NoConfigMap {
		cm = nil
	}
	return pod, cm
}

// TestBadInputTable runs every case of the bad-input table through the handler and
// compares the denial with bad-input.messages.yaml, exactly; a value written in the
// input (like the literal password) must never come back in a message.
func TestBadInputTable(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(badInputDir, "bad-input.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	table := &badInputTable{}
	if err := yaml.UnmarshalStrict(data, table); err != nil {
		t.Fatalf("bad-input.yaml: %v", err)
	}
	if len(table.Cases) == 0 {
		t.Fatal("bad-input.yaml has no cases")
	}

	messagesPath := filepath.Join(badInputDir, "bad-input.messages.yaml")
	want := map[string]string{}
	if !*update {
		data, err := os.ReadFile(messagesPath)
		if err != nil {
			t.Fatalf("%v (run go test -update to create it)", err)
		}
		if err := yaml.UnmarshalStrict(data, &want); err != nil {
			t.Fatalf("bad-input.messages.yaml: %v", err)
		}
	}

	got := map[string]string{}
	for _, c := range table.Cases {
		t.Run(c.Name, func(t *testing.T) {
			pod, cm := c.build(table)
			var objs []client.Object
			if cm != nil {
				objs = append(objs, cm)
			}
			resp := newHandler(objs...).Handle(context.Background(), podRequest(t, pod))
			if resp.Allowed || resp.Result == nil || resp.Result.Code != http.StatusForbidden {
				t.Fatalf("want a denial, got allowed=%v result=%+v", resp.Allowed, resp.Result)
			}
			message := resp.Result.Message
			got[c.Name] = message
			if strings.Contains(message, "hunter2") {
				t.Errorf("the message repeats a value from endpoints.yml: %s", message)
			}
			if *update {
				return
			}
			if expected, ok := want[c.Name]; !ok {
				t.Errorf("no expected message (run go test -update); got:\n%s", message)
			} else if message != expected {
				t.Errorf("message differs (run go test -update and review the diff):\n"+
					"got:  %s\nwant: %s", message, expected)
			}
		})
	}

	if *update {
		out, err := yaml.Marshal(got)
		if err != nil {
			t.Fatal(err)
		}
		header := []byte("# The exact denial message of each case in bad-input.yaml, written " +
			"by\n# `go test ./pkg/webhook -update`: review changes in the diff.\n")
		if err := os.WriteFile(messagesPath, append(header, out...), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if len(want) != len(table.Cases) {
		t.Errorf("bad-input.messages.yaml has %d messages for %d cases: run go test -update",
			len(want), len(table.Cases))
	}
}
