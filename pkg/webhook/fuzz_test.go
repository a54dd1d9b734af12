package webhook

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/go-logr/logr/funcr"
	admissionv1 "k8s.io/api/admission/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	"github.com/rasa-vault-webhook/rasa-vault-webhook/pkg/inject"
)

// FuzzHandle feeds raw AdmissionReview bodies through the HTTP entry point the
// apiserver calls. Whatever the bytes, the webhook must answer with an AdmissionReview
// carrying a response, and must not panic: panic recovery is off so a panic fails.
func FuzzHandle(f *testing.F) {
	pod, cm := &corev1.Pod{}, &corev1.ConfigMap{}
	raw := readYAML(f, "rasa-chart", "pod.yaml", pod)
	readYAML(f, "rasa-chart", "configmap.yaml", cm)

	review := func(namespace string, object []byte) []byte {
		req := rawPodRequest(namespace, object)
		data, err := json.Marshal(admissionv1.AdmissionReview{
			TypeMeta: admissionReviewType, Request: &req.AdmissionRequest})
		if err != nil {
			f.Fatal(err)
		}
		return data
	}
	f.Add(review("assistants", raw))
	f.Add(review("kube-system", raw))
	f.Add(review("assistants", []byte(`{"metadata":{"annotations":`+
		`{"rasa-vault-webhook.io/inject":"true"}},"spec":{"containers":[{"name":"a",`+
		`"volumeMounts":[{"name":"v","mountPath":"/x","subPath":"endpoints.yml"}]}],`+
		`"volumes":[{"name":"v","configMap":{"name":"support-bot-configmap"}}]}}`)))
	f.Add(review("assistants", []byte(`null`)))
	f.Add([]byte(`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview"}`))
	f.Add([]byte(`{`))
	f.Add([]byte{})

	silent := funcr.New(func(string, string) {}, funcr.Options{})
	h := &Handler{
		Reader:  clientReader{fake.NewClientBuilder().WithObjects(cm).Build()},
		Options: inject.DefaultOptions(),
		Logger:  silent,
	}
	h.panics = true // a panic must fail the fuzz test, not become a 500
	hook := h

	f.Fuzz(func(t *testing.T, body []byte) {
		httpReq := httptest.NewRequest(http.MethodPost, Path, bytes.NewReader(body))
		httpReq.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()

		hook.ServeHTTP(rec, httpReq)

		if rec.Code != http.StatusOK {
			t.Fatalf("HTTP status %d", rec.Code)
		}
		var answer admissionv1.AdmissionReview
		if err := json.Unmarshal(rec.Body.Bytes(), &answer); err != nil {
			t.Fatalf("the answer is not an AdmissionReview: %v", err)
		}
		if answer.Response == nil {
			t.Fatal("the answer has no response")
		}
	})
}

// admissionReviewType is the TypeMeta of an admission.k8s.io/v1 AdmissionReview.
var admissionReviewType = metav1.TypeMeta{
	APIVersion: admissionv1.SchemeGroupVersion.String(),
	Kind:       "AdmissionReview",
}
