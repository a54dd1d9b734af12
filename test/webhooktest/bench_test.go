package webhooktest

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/go-logr/logr"
	admissionv1 "k8s.io/api/admission/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/rasa-vault-webhook/rasa-vault-webhook/pkg/inject"
	"github.com/rasa-vault-webhook/rasa-vault-webhook/pkg/webhook"
)

// BenchmarkReviewOnRealAPIServer reviews the chart pod with its ConfigMap read from
// the real kube-apiserver, once per review (direct) and through ConfigMapCache: the
// measured counterpart of pkg/webhook's BenchmarkReview.
func BenchmarkReviewOnRealAPIServer(b *testing.B) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	c, err := client.New(cluster.Config, client.Options{})
	if err != nil {
		b.Fatal(err)
	}
	ns := namespace(ctx, b, c, nil)
	raw, err := json.Marshal(botPod(ns, nil))
	if err != nil {
		b.Fatal(err)
	}
	req := webhook.Request{AdmissionRequest: admissionv1.AdmissionRequest{
		UID: "bench", Namespace: ns, Operation: admissionv1.Create,
		Kind:   metav1.GroupVersionKind{Version: "v1", Kind: "Pod"},
		Object: runtime.RawExtension{Raw: raw},
	}}

	for _, cached := range []bool{false, true} {
		b.Run(fmt.Sprintf("cached=%v", cached), func(b *testing.B) {
			h := &webhook.Handler{Reader: webhookAPI, Options: inject.DefaultOptions(),
				Logger: logr.Discard()}
			if cached {
				h.Cache = webhook.NewConfigMapCache()
			}
			b.ReportAllocs()
			for b.Loop() {
				if resp := h.Handle(ctx, req); !resp.Allowed {
					b.Fatalf("denied: %s", resp.Result.Message)
				}
			}
		})
	}
}
