package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	admissionv1 "k8s.io/api/admission/v1"
	corev1 "k8s.io/api/core/v1"

	"github.com/rasa-vault-webhook/rasa-vault-webhook/pkg/inject"
)

// post sends body to h as the apiserver would and returns the HTTP status and the
// decoded answer (nil when the body is not an AdmissionReview).
func post(t *testing.T, h http.Handler, method, contentType string, body []byte) (
	int, *admissionv1.AdmissionReview,
) {
	t.Helper()
	req := httptest.NewRequest(method, Path, bytes.NewReader(body))
	req.Header.Set("Content-Type", contentType)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	var answer admissionv1.AdmissionReview
	if err := json.Unmarshal(rec.Body.Bytes(), &answer); err != nil {
		return rec.Code, nil
	}
	return rec.Code, &answer
}

func TestServeHTTPRefusesWhatIsNotAReview(t *testing.T) {
	pod, cm := chartFixture(t)
	req := rawPodRequest(pod.Namespace, mustJSON(t, pod))
	review := mustJSON(t, admissionv1.AdmissionReview{TypeMeta: admissionReviewType,
		Request: &req.AdmissionRequest})
	v1beta1 := bytes.Replace(review, []byte(`admission.k8s.io/v1"`),
		[]byte(`admission.k8s.io/v1beta1"`), 1)
	huge := append(append([]byte(`{"pad":"`), bytes.Repeat([]byte("x"), MaxReviewBytes)...),
		`"}`...)

	tests := []struct {
		name, method, contentType string
		body                      []byte
		status                    int
		contains                  string
	}{
		{name: "a GET is not allowed", method: http.MethodGet, contentType: "application/json",
			status: http.StatusMethodNotAllowed},
		{name: "another content type is a bad request", method: http.MethodPost,
			contentType: "text/plain", body: review, status: http.StatusOK,
			contains: "content type"},
		{name: "a v1beta1 review names admissionReviewVersions", method: http.MethodPost,
			contentType: "application/json", body: v1beta1, status: http.StatusOK,
			contains: "admissionReviewVersions"},
		{name: "a body over the cap is refused", method: http.MethodPost,
			contentType: "application/json", body: huge, status: http.StatusOK,
			contains: "larger than"},
		{name: "a review without a request is refused", method: http.MethodPost,
			contentType: "application/json",
			body:        mustJSON(t, admissionv1.AdmissionReview{TypeMeta: admissionReviewType}),
			status:      http.StatusOK, contains: "no request"},
		{name: "a charset parameter is accepted", method: http.MethodPost,
			contentType: "application/json; charset=utf-8", body: review,
			status: http.StatusOK},
	}
	h := newHandler(cm)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, answer := post(t, h, tt.method, tt.contentType, tt.body)
			if status != tt.status {
				t.Fatalf("HTTP %d, want %d", status, tt.status)
			}
			if status != http.StatusOK {
				return
			}
			if answer == nil || answer.Response == nil {
				t.Fatal("the answer is not an AdmissionReview with a response")
			}
			resp := answer.Response
			if tt.contains == "" {
				if !resp.Allowed || len(resp.Patch) == 0 || resp.UID != req.UID {
					t.Fatalf("want the patched pod for uid %s, got %+v", req.UID, resp)
				}
				return
			}
			if resp.Allowed || resp.Result == nil || resp.Result.Code != http.StatusBadRequest ||
				!strings.Contains(resp.Result.Message, tt.contains) {
				t.Errorf("want a 400 naming %q, got allowed=%v %+v", tt.contains,
					resp.Allowed, resp.Result)
			}
		})
	}
}

// panickingReader panics on every read, standing in for a bug in the review.
type panickingReader struct{}

func (panickingReader) GetConfigMap(context.Context, string, string) (*corev1.ConfigMap,
	error,
) {
	panic("bug")
}

func TestServeHTTPAnswersAPanicWithA500(t *testing.T) {
	pod, _ := chartFixture(t)
	req := rawPodRequest(pod.Namespace, mustJSON(t, pod))
	body := mustJSON(t, admissionv1.AdmissionReview{TypeMeta: admissionReviewType,
		Request: &req.AdmissionRequest})
	h := &Handler{Reader: panickingReader{}, Options: inject.DefaultOptions()}

	status, answer := post(t, h, http.MethodPost, "application/json", body)
	if status != http.StatusOK || answer == nil || answer.Response == nil {
		t.Fatalf("HTTP %d without an AdmissionReview answer", status)
	}
	resp := answer.Response
	if resp.Allowed || resp.UID != req.UID || resp.Result == nil ||
		resp.Result.Code != http.StatusInternalServerError {
		t.Errorf("want a 500 denial for uid %s, got allowed=%v %+v", req.UID, resp.Allowed,
			resp.Result)
	}
}

// TestServeHTTPSendsTheAnswerWithItsLength: an answer with a patch is over the 2 KB
// net/http sends chunked when the length is not set; it goes whole, with its length.
func TestServeHTTPSendsTheAnswerWithItsLength(t *testing.T) {
	pod, cm := chartFixture(t)
	srv := httptest.NewServer(newHandler(cm))
	defer srv.Close()
	req := podRequest(t, pod)
	body := mustJSON(t, admissionv1.AdmissionReview{TypeMeta: admissionReviewType,
		Request: &req.AdmissionRequest})

	resp, err := srv.Client().Post(srv.URL+Path, "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}

	if len(answer) <= 2048 || !bytes.Contains(answer, []byte(`"patch":`)) {
		t.Fatalf("want an answer with a patch over 2 KB, got %d bytes: %.200s",
			len(answer), answer)
	}
	if resp.ContentLength != int64(len(answer)) || len(resp.TransferEncoding) != 0 {
		t.Errorf("Content-Length %d, Transfer-Encoding %v; want %d and none",
			resp.ContentLength, resp.TransferEncoding, len(answer))
	}
}
