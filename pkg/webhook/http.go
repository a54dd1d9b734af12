package webhook

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"runtime/debug"
	"strconv"
	"time"

	admissionv1 "k8s.io/api/admission/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// MaxReviewBytes caps the body of one AdmissionReview. The apiserver's own request
// limit is 3 MiB and an object in etcd at most 1.5 MiB; anything larger is not a review.
const MaxReviewBytes = 7 << 20

// reviewType is the TypeMeta of every AdmissionReview this webhook reads and writes;
// the chart asks for admission.k8s.io/v1 only.
var reviewType = metav1.TypeMeta{
	APIVersion: admissionv1.SchemeGroupVersion.String(),
	Kind:       "AdmissionReview",
}

// ServeHTTP answers one AdmissionReview POSTed by the apiserver. Whatever the body, a
// POST gets an AdmissionReview back: a body that is not a v1 review is answered with a
// 400 status inside it, a panic in the handler with a 500, and the pod is then refused
// by the apiserver (failurePolicy Fail) rather than admitted uninjected.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	reviewsInFlight.Inc()
	defer reviewsInFlight.Dec()
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "admission reviews are POSTed", http.StatusMethodNotAllowed)
		return
	}

	start := time.Now()
	// The request's raw object is this buffer's bytes: it goes back to the pool only
	// once the answer is written.
	body := getBuffer()
	defer putBuffer(body)
	req, err := readReview(r, h.Patches, body)
	var resp Response
	if err != nil {
		resp = erroredResponse(http.StatusBadRequest, err)
		took := time.Since(start)
		h.logReview(req, review{outcome: outcomeErrored, reason: "bad request",
			pod: req.Name, err: err, userInput: true}, took)
		h.countReview(review{outcome: outcomeErrored}, took)
	} else {
		resp = h.handleRecovering(r.Context(), req)
	}
	if err := resp.complete(req); err != nil {
		resp = erroredResponse(http.StatusInternalServerError, err)
		_ = resp.complete(req)
	}
	writeReview(w, resp, h)
}

// handleRecovering runs Handle, turning a panic into a 500 answer and an error log with
// the stack (which holds no field values), unless h.panics is set for tests.
func (h *Handler) handleRecovering(ctx context.Context, req Request) (resp Response) {
	if !h.panics {
		defer func() {
			if v := recover(); v != nil {
				err := fmt.Errorf("panic while reviewing the pod: %v", v)
				h.logger().Error(logSafe(err), "pod review failed", "uid", req.UID,
					"namespace", req.Namespace, "stack", string(debug.Stack()))
				h.countReview(review{outcome: outcomeErrored}, 0)
				resp = erroredResponse(http.StatusInternalServerError,
					errors.New("internal error in the webhook; see its log"))
			}
		}()
	}
	return h.Handle(ctx, req)
}

// readReview reads the body of r into buf and decodes it as an admission.k8s.io/v1
// AdmissionReview holding a request, with its pod (see decodeReview) unless patches
// holds an answer for it; the request's raw object is buf's bytes. When decoding fails
// part way, the returned request holds what came before, for the answer's UID and the
// log line.
func readReview(r *http.Request, patches *PatchCache, buf *bytes.Buffer) (Request, error) {
	contentType, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || contentType != "application/json" {
		return Request{}, fmt.Errorf("content type %q: the apiserver sends "+
			"application/json", r.Header.Get("Content-Type"))
	}
	if _, err := buf.ReadFrom(io.LimitReader(r.Body, MaxReviewBytes+1)); err != nil {
		return Request{}, fmt.Errorf("reading the AdmissionReview: %w", err)
	}
	if buf.Len() > MaxReviewBytes {
		return Request{}, fmt.Errorf("the AdmissionReview is larger than %d bytes",
			MaxReviewBytes)
	}
	var (
		key           podKey
		managedFields []byte
		cached        *cachedPatch
	)
	keyErr := errNotKeyed
	if patches != nil {
		key, managedFields, keyErr = reviewKey(buf.Bytes())
	}
	if keyErr == nil {
		cached, _ = patches.get(key.key)
	}
	if cached != nil && checkManagedFields(managedFields) != nil {
		// Reviewed in full, which fails on them as a cluster without the cache would.
		cached = nil
	}
	meta, req, err := decodeReview(buf.Bytes(), cached != nil)
	if req != nil {
		req.key, req.keyed, req.keyTried = key, keyErr == nil, patches != nil
		req.cached = cached
	}
	switch {
	case err != nil && req != nil:
		return *req, fmt.Errorf("decoding the AdmissionReview: %w", err)
	case err != nil:
		return Request{}, fmt.Errorf("decoding the AdmissionReview: %w", err)
	case meta != reviewType:
		return Request{}, fmt.Errorf("got %s %s: this webhook reads %s %s; set "+
			"admissionReviewVersions to [v1] in the MutatingWebhookConfiguration",
			meta.APIVersion, meta.Kind, reviewType.APIVersion, reviewType.Kind)
	case req == nil:
		return Request{}, errors.New("the AdmissionReview has no request")
	}
	return *req, nil
}

// writeReview writes resp inside an AdmissionReview.
func writeReview(w http.ResponseWriter, resp Response, h *Handler) {
	out := getBuffer()
	defer putBuffer(out)
	err := encodeJSONTo(out, admissionv1.AdmissionReview{TypeMeta: reviewType,
		Response: &resp.AdmissionResponse})
	if err != nil {
		h.logger().Error(err, "encoding the AdmissionReview answer failed", "uid", resp.UID)
		http.Error(w, "encoding the answer failed", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	// With its length known, net/http sends the answer whole instead of chunked, which
	// it does for anything over 2 KB (a patch with two containers is about 5 KB).
	w.Header().Set("Content-Length", strconv.Itoa(out.Len()))
	if _, err := w.Write(out.Bytes()); err != nil {
		h.logger().V(1).Info("writing the AdmissionReview answer failed", "uid", resp.UID,
			"error", err.Error())
	}
}
