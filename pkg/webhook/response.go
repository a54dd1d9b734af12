package webhook

import (
	"fmt"
	"net/http"

	"gomodules.xyz/jsonpatch/v2"
	admissionv1 "k8s.io/api/admission/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Request is one admission request, as decoded from the apiserver's AdmissionReview.
// ServeHTTP fills in the members the webhook reads (not userInfo, oldObject or
// options) and decodes a pod's object once, leaving Object.Raw empty; a Request made
// elsewhere carries the pod in Object.Raw.
type Request struct {
	admissionv1.AdmissionRequest
	// pod is Object decoded by ServeHTTP; Handle must not modify it.
	pod *corev1.Pod
	// key is the pod's PatchCache key when keyed; keyTried says ServeHTTP computed it
	// (from the review, reviewKey), so that Handle does not key the pod itself. cached
	// is the entry ServeHTTP found under key, for which it left the pod raw.
	key             podKey
	keyed, keyTried bool
	cached          *cachedPatch
}

// Response is the answer to one Request before it is encoded: Patches become the
// response's base64 JSONPatch in complete.
type Response struct {
	admissionv1.AdmissionResponse
	// Patches are the JSONPatch operations of an allowed pod; empty for no change.
	Patches []jsonpatch.Operation
	// encoded, when set, is Patches already encoded, or a PatchCache's patch in their
	// stead; it is shared and must not be modified.
	encoded []byte
}

// allowedResponse allows the object unchanged, giving reason as the status message.
func allowedResponse(reason string) Response {
	return Response{AdmissionResponse: admissionv1.AdmissionResponse{
		Allowed: true,
		Result:  &metav1.Status{Code: http.StatusOK, Message: reason},
	}}
}

// patchedResponse allows the object with ops applied.
func patchedResponse(ops []jsonpatch.Operation) Response {
	return Response{
		AdmissionResponse: admissionv1.AdmissionResponse{Allowed: true},
		Patches:           ops,
	}
}

// deniedResponse refuses the object with 403 and message, which the user sees in the
// apiserver's error.
func deniedResponse(message string) Response {
	return Response{AdmissionResponse: admissionv1.AdmissionResponse{
		Result: &metav1.Status{Code: http.StatusForbidden,
			Reason: metav1.StatusReasonForbidden, Message: message},
	}}
}

// erroredResponse refuses the object because the review itself failed.
func erroredResponse(code int32, err error) Response {
	return Response{AdmissionResponse: admissionv1.AdmissionResponse{
		Result: &metav1.Status{Code: code, Message: err.Error()},
	}}
}

// withWarnings returns r with warnings added, shown by kubectl to whoever made the pod.
func (r Response) withWarnings(warnings ...string) Response {
	r.Warnings = append(r.Warnings, warnings...)
	return r
}

// complete fills in what every answer needs: the request's UID, a status, and the
// encoded JSONPatch with its type when there are operations.
func (r *Response) complete(req Request) error {
	r.UID = req.UID
	if r.Result == nil {
		r.Result = &metav1.Status{Code: http.StatusOK}
	}
	if len(r.Patches) == 0 && r.encoded == nil {
		return nil
	}
	patch := r.encoded
	if patch == nil {
		var err error
		if patch, err = encodePatch(r.Patches); err != nil {
			return fmt.Errorf("encoding the JSONPatch: %w", err)
		}
	}
	r.Patch = patch
	patchType := admissionv1.PatchTypeJSONPatch
	r.PatchType = &patchType
	return nil
}
