package webhook

import (
	"context"
	"errors"
	"fmt"
	"golang.org/x/sync/singleflight"
	"net/http"
	"time"

	"github.com/go-logr/logr"
	admissionv1 "k8s.io/api/admission/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/json"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	"github.com/rasa-vault-webhook/rasa-vault-webhook/pkg/inject"
)

// Outcomes of a review, as logged under the key "outcome".
const (
	outcomeAllowed = "allowed"
	outcomePatched = "patched"
	outcomeDenied  = "denied"
	outcomeErrored = "errored"
)

// reasonNotPodCreate: the request is not the CREATE of a pod, which is all this
// webhook changes (an UPDATE cannot add containers to a pod).
const reasonNotPodCreate = "not a pod create"

// Handler is the admission.Handler that injects the Vault agent into opted-in pods.
type Handler struct {
	// Reader reads the endpoints ConfigMap, always in the request's namespace. Give it a
	// direct API reader (the manager's GetAPIReader), not an informer-backed client:
	// that would watch every ConfigMap of the cluster to answer a few GETs.
	Reader client.Reader
	// Cache, when set, keeps recently read endpoints.yml keys and rate-limits the GETs;
	// see ConfigMapCache.
	Cache *ConfigMapCache
	// Options are passed to pkg/inject for every pod.
	Options inject.Options
	// Logger receives one line per review; when unset, the logger controller-runtime
	// puts in the request context is used.
	Logger logr.Logger

	// misses lets concurrent reviews that miss the cache for the same ConfigMap share
	// one GET: when an entry expires under load, every in-flight review would otherwise
	// queue on the rate limiter at once and time out.
	misses singleflight.Group
}

var _ admission.Handler = &Handler{}

// review is what one admission review did, for its log line and metrics.
type review struct {
	outcome string
	reason  string
	pod     string
	// denial is the stage that denied, a denial* constant.
	denial string
	// problems counts the problems of a denial; their text stays out of the log.
	problems int
	source   string
	err      error
	// wholePodDiff is set when the patch had to come from diffing whole pods, because
	// pkg/inject changed a place podPatch does not write.
	wholePodDiff bool
}

// Handle reviews one admission request. Non-pod and non-CREATE requests, pods not opted
// in and pods already injected are allowed untouched; a pod that cannot work is denied
// with every problem listed; an opted-in pod is never allowed uninjected.
//
// The review runs on a context that the server's shutdown does not cancel: an
// in-flight review finishes (its API read bounded by ConfigMapTimeout) while the
// server drains, instead of failing the pod's creation.
func (h *Handler) Handle(ctx context.Context, req admission.Request) admission.Response {
	start := time.Now()
	resp, r := h.review(context.WithoutCancel(ctx), req)
	took := time.Since(start)
	h.logReview(ctx, req, r, took)
	h.countReview(r, took)
	return resp
}

// review does the work of Handle and says what happened.
func (h *Handler) review(ctx context.Context, req admission.Request) (
	admission.Response, review,
) {
	r := review{pod: req.Name}
	if req.Operation != admissionv1.Create || !isPod(req) {
		r.outcome, r.reason = outcomeAllowed, reasonNotPodCreate
		return admission.Allowed(reasonNotPodCreate), r
	}
	if req.Namespace == "" {
		return errored(r, http.StatusBadRequest, errors.New("the request has no namespace"))
	}

	// Case-sensitive, as the apiserver's own decoding: "Metadata" is not "metadata". The
	// patch's paths rely on it: a field read from "Env" would be patched at "env".
	pod := &corev1.Pod{}
	if err := json.Unmarshal(req.Object.Raw, pod); err != nil {
		return errored(r, http.StatusBadRequest, fmt.Errorf("decoding the pod: %w", err))
	}
	r.pod = podName(pod, req)

	decision, target, err := inject.Plan(pod, req.Namespace, h.Options)
	if err != nil {
		stage := denialPodLayout
		if !decision.Inject {
			stage = denialAnnotations
		}
		return denied(r, stage, err)
	}
	if !decision.Inject {
		r.outcome, r.reason = outcomeAllowed, decision.Reason
		return admission.Allowed(decision.Reason), r
	}

	mutated, warnings, err := h.mutate(ctx, req.Namespace, pod, target, &r)
	if err != nil {
		return denied(r, denialEndpoints, err)
	}

	resp, err := patchResponse(req.Object.Raw, pod, mutated, &r)
	if err != nil {
		return errored(r, http.StatusInternalServerError, err)
	}
	if !resp.Allowed {
		r.outcome, r.reason = outcomeErrored, "creating the patch failed"
		r.err = errors.New(resp.Result.Message)
		return resp, r
	}
	r.outcome, r.reason = outcomePatched, decision.Reason
	return resp.WithWarnings(warnings...), r
}

// patchResponse allows the pod with the JSONPatch from raw to mutated. The patch is
// written from what pkg/inject changes; should mutated differ from pod anywhere else,
// the whole pods are diffed instead, which costs more and is logged.
func patchResponse(raw []byte, pod, mutated *corev1.Pod, r *review) (
	admission.Response, error,
) {
	if ops, ok := podPatch(pod, mutated); ok {
		resp := admission.Response{Patches: ops,
			AdmissionResponse: admissionv1.AdmissionResponse{Allowed: true}}
		if len(ops) > 0 {
			resp.PatchType = ptr.To(admissionv1.PatchTypeJSONPatch)
		}
		return resp, nil
	}

	r.wholePodDiff = true
	patched, err := json.Marshal(mutated)
	if err != nil {
		return admission.Response{}, fmt.Errorf("encoding the injected pod: %w", err)
	}
	return admission.PatchResponseFromRaw(raw, patched), nil
}

// mutate looks up the ConfigMap and runs inject.Mutate. A denial based on a cached
// copy is checked again against a fresh GET, so a just-fixed ConfigMap is not refused.
func (h *Handler) mutate(
	ctx context.Context, namespace string, pod *corev1.Pod, target inject.Target, r *review,
) (*corev1.Pod, []string, error) {
	cm, source, err := h.lookupConfigMap(ctx, namespace, target, false)
	r.source = source
	if err != nil {
		return nil, nil, err
	}
	mutated, warnings, err := inject.Mutate(pod, cm, target, h.Options)
	if _, deniedByCache := inject.IsDenial(err); !deniedByCache || source != sourceCache {
		return mutated, warnings, err
	}

	cm, r.source, err = h.lookupConfigMap(ctx, namespace, target, true)
	if err != nil {
		return nil, nil, err
	}
	return inject.Mutate(pod, cm, target, h.Options)
}

// denied answers a *inject.Denial with 403 and its problems; any other error is ours.
// stage is the denial* constant of the step that failed; a missing ConfigMap is told
// apart by its own.
func denied(r review, stage string, err error) (admission.Response, review) {
	d, ok := inject.IsDenial(err)
	if !ok {
		return errored(r, http.StatusInternalServerError, err)
	}
	var missing *notFound
	if errors.As(err, &missing) {
		stage = denialConfigMap
	}
	r.outcome, r.reason, r.problems = outcomeDenied, "pod cannot be injected", len(d.Problems)
	r.denial = stage
	return admission.Denied(d.Error()), r
}

// errored answers an internal failure with code and the wrapped error.
func errored(r review, code int32, err error) (admission.Response, review) {
	r.outcome, r.reason, r.err = outcomeErrored, http.StatusText(int(code)), err
	return admission.Errored(code, err), r
}

// logReview writes the one line every review gets. It names the pod, never its
// endpoints.yml, env or denial text.
func (h *Handler) logReview(
	ctx context.Context, req admission.Request, r review, took time.Duration,
) {
	log := h.Logger
	if log.GetSink() == nil {
		log = logf.FromContext(ctx)
	}
	log = log.WithValues("uid", req.UID, "namespace", req.Namespace, "pod", r.pod,
		"operation", req.Operation, "dryRun", ptr.Deref(req.DryRun, false),
		"outcome", r.outcome, "reason", r.reason, "problems", r.problems,
		"configMapSource", r.source, "duration", took)
	if r.denial != "" {
		log = log.WithValues("deniedAt", r.denial)
	}
	if r.wholePodDiff {
		log = log.WithValues("wholePodDiff", true)
	}

	if r.err != nil {
		log.Error(r.err, "pod review failed")
		return
	}
	log.Info("pod reviewed")
}

// countReview updates the metrics for one review.
func (h *Handler) countReview(r review, took time.Duration) {
	reviewsTotal.WithLabelValues(r.outcome).Inc()
	reviewDuration.WithLabelValues(r.outcome).Observe(took.Seconds())
	switch r.outcome {
	case outcomePatched:
		injectionsTotal.Inc()
	case outcomeDenied:
		denialsTotal.WithLabelValues(r.denial).Inc()
	}
}

// isPod reports whether the request is about a pod itself, not a subresource.
func isPod(req admission.Request) bool {
	return req.Kind.Group == "" && req.Kind.Kind == "Pod" && req.SubResource == ""
}

// podName is the pod's name, or its generateName prefix while it has no name yet.
func podName(pod *corev1.Pod, req admission.Request) string {
	switch {
	case pod.Name != "":
		return pod.Name
	case pod.GenerateName != "":
		return pod.GenerateName
	}
	return req.Name
}
