package webhook

import (
	"context"
	"testing"

	"github.com/rasa-vault-webhook/rasa-vault-webhook/pkg/inject"
)

// TestExcludedNamespacesAreNeverTouched: a pod in kube-system or in the webhook's own
// namespace is allowed unchanged, even with a value that would be denied elsewhere,
// and its ConfigMap is never read.
func TestExcludedNamespacesAreNeverTouched(t *testing.T) {
	for _, tt := range []struct{ name, namespace string }{
		{name: "kube-system", namespace: "kube-system"},
		{name: "the webhook's own namespace", namespace: "rasa-vault-webhook"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			pod, _ := chartFixture(t)
			pod.Namespace = tt.namespace
			pod.Annotations[inject.AnnotationAgentSidecar] = "maybe"
			h := newHandler() // no ConfigMap: a read would end in a denial
			h.Options.ExcludedNamespaces = []string{"rasa-vault-webhook"}

			resp := h.Handle(context.Background(), podRequest(t, pod))
			if !resp.Allowed || len(resp.Patches) > 0 {
				t.Fatalf("want allowed untouched, got allowed=%v patches=%d (%v)",
					resp.Allowed, len(resp.Patches), resp.Result)
			}
			if resp.Result.Message != inject.ReasonExcludedNamespace {
				t.Errorf("reason %q, want %q", resp.Result.Message, inject.ReasonExcludedNamespace)
			}
		})
	}
}
