package webhook

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/go-logr/logr"
	"golang.org/x/sync/singleflight"
	"gomodules.xyz/jsonpatch/v2"
	admissionv1 "k8s.io/api/admission/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"

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

// ConfigMapGetter reads one ConfigMap from the apiserver. A ConfigMap that does not
// exist is an error for which k8s.io/apimachinery/pkg/api/errors.IsNotFound is true.
// *kube.Client is the one `webhook serve` uses.
type ConfigMapGetter interface {
	GetConfigMap(ctx context.Context, namespace, name string) (*corev1.ConfigMap, error)
}

// Handler is the http.Handler that injects the Vault agent into opted-in pods: it
// answers the apiserver's AdmissionReviews (ServeHTTP), each through Handle.
type Handler struct {
	// Reader reads the endpoints ConfigMap, always in the request's namespace, with one
	// GET: an informer would watch every ConfigMap of the cluster to answer a few GETs.
	Reader ConfigMapGetter
	// Cache, when set, keeps recently read endpoints.yml keys and rate-limits the GETs;
	// see ConfigMapCache.
	Cache *ConfigMapCache
	// Patches, when set, answers a pod that repeats the JSON of a recent injection in
	// the same namespace with that injection's patch; see PatchCache. Options must not
	// change once a Handler with Patches has answered.
	Patches *PatchCache
	// Options are passed to pkg/inject for every pod.
	Options inject.Options
	// Logger receives one line per review; when unset, nothing is logged.
	Logger logr.Logger

	// misses lets concurrent reviews that miss the cache for the same ConfigMap share
	// one GET: when an entry expires under load, every in-flight review would otherwise
	// queue on the rate limiter at once and time out.
	misses singleflight.Group
	// panics turns off ServeHTTP's panic recovery, so a fuzz test fails on a panic.
	panics bool
}

var _ http.Handler = &Handler{}

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
	// userInput marks err as quoting the request's own JSON (a pod that does not
	// decode): the log line then shows it through logSafe.
	userInput bool
	// wholePodDiff is set when the patch had to come from diffing whole pods, because
	// pkg/inject changed a place podPatch does not write.
	wholePodDiff bool
	// reused is set when the patch came from h.Patches.
	reused bool
}

// Handle reviews one admission request. Non-pod and non-CREATE requests, pods not opted
// in and pods already injected are allowed untouched; a pod that cannot work is denied
// with every problem listed; an opted-in pod is never allowed uninjected.
//
// The review runs on a context that the server's shutdown does not cancel: an
// in-flight review finishes (its API read bounded by ConfigMapTimeout) while the
// server drains, instead of failing the pod's creation.
func (h *Handler) Handle(ctx context.Context, req Request) Response {
	start := time.Now()
	resp, r := h.review(context.WithoutCancel(ctx), req)
	took := time.Since(start)
	h.logReview(req, r, took)
	h.countReview(r, took)
	return resp
}

// review does the work of Handle and says what happened.
func (h *Handler) review(ctx context.Context, req Request) (Response, review) {
	r := review{pod: req.Name}
	if !isPodCreate(req.Kind, req.SubResource, req.Operation) {
		r.outcome, r.reason = outcomeAllowed, reasonNotPodCreate
		return allowedResponse(reasonNotPodCreate), r
	}
	if req.Namespace == "" {
		return errored(r, http.StatusBadRequest, errors.New("the request has no namespace"))
	}

	key, keep, e := req.key, req.keyed && h.Patches != nil, req.cached
	if h.Patches != nil && !req.keyTried && req.pod == nil {
		// Handle called directly, with the pod's JSON: key the pod alone. A pod without
		// a key is reviewed in full; the error is in how it is written.
		var err error
		key, err = keyOf(req.Namespace, req.Object.Raw)
		if keep = err == nil; keep {
			e, _ = h.Patches.get(key.key)
		}
	}
	// looked is the ConfigMap a stale entry was checked against, for the full review.
	var looked *lookedUp
	if keep && e != nil {
		resp, reused, done, cm := h.reuse(ctx, req, e, r)
		if done {
			return resp, reused
		}
		looked = &lookedUp{target: e.target, cm: cm, source: reused.source}
	}

	// Case-sensitive, as the apiserver's own decoding: "Metadata" is not "metadata". The
	// patch's paths rely on it: a field read from "Env" would be patched at "env".
	pod := req.pod
	if pod == nil {
		pod = &corev1.Pod{}
		if err := decodeJSON(req.Object.Raw, pod); err != nil {
			r.userInput = true
			return errored(r, http.StatusBadRequest, fmt.Errorf("decoding the pod: %w", err))
		}
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
		return allowedResponse(decision.Reason), r
	}

	mutated, warnings, cm, err := h.mutate(ctx, req.Namespace, pod, target, &r, looked)
	if err != nil {
		return denied(r, denialEndpoints, err)
	}

	ops, err := patchOps(req.Object.Raw, pod, mutated, &r)
	if err != nil {
		return errored(r, http.StatusInternalServerError, err)
	}
	r.outcome, r.reason = outcomePatched, decision.Reason
	resp := patchedResponse(ops).withWarnings(warnings...)
	if !keep {
		return resp, r
	}
	if resp.encoded, err = encodePatch(ops); err != nil {
		return errored(r, http.StatusInternalServerError,
			fmt.Errorf("encoding the JSONPatch: %w", err))
	}
	if strings.Contains(cm.Data[target.Key], tokenVolumeMarker) {
		// endpoints.yml could expand a variable named after the token volume.
		return resp, r
	}
	h.Patches.add(key, &cachedPatch{target: target, configMap: cm.Name,
		resourceVersion: cm.ResourceVersion, patch: resp.encoded, warnings: warnings,
		reason: r.reason, pod: podName(pod, Request{}), wholePodDiff: r.wholePodDiff})
	return resp, r
}

// reuse answers with the cached patch e when the review's ConfigMap lookup finds the
// version e was made with. done is false when the review must be done in full; a
// failed lookup is answered as the full review would answer it.
func (h *Handler) reuse(ctx context.Context, req Request, e *cachedPatch, r review) (
	resp Response, _ review, done bool, cm *corev1.ConfigMap,
) {
	// The stored pod's own name, or this request's name when the pod has none.
	if r.pod = e.pod; r.pod == "" {
		r.pod = req.Name
	}
	cm, source, err := h.lookupConfigMap(ctx, req.Namespace, e.target, false)
	r.source = source
	if err != nil {
		resp, r = denied(r, denialEndpoints, err)
		return resp, r, true, nil
	}
	if !e.matches(cm) {
		return Response{}, r, false, cm
	}
	r.outcome, r.reason, r.wholePodDiff, r.reused = outcomePatched, e.reason,
		e.wholePodDiff, true
	resp = Response{AdmissionResponse: admissionv1.AdmissionResponse{Allowed: true},
		encoded: e.patch}
	return resp.withWarnings(e.warnings...), r, true, nil
}

// lookedUp is a ConfigMap already looked up for target in this review.
type lookedUp struct {
	target inject.Target
	cm     *corev1.ConfigMap
	source string
}

// patchOps returns the JSONPatch from raw to mutated. The patch is written from what
// pkg/inject changes; should mutated differ from pod anywhere else, the whole pods are
// diffed instead, which costs more and is logged.
func patchOps(raw []byte, pod, mutated *corev1.Pod, r *review) (
	[]jsonpatch.Operation, error,
) {
	if ops, ok := podPatch(pod, mutated); ok {
		return ops, nil
	}

	r.wholePodDiff = true
	if raw == nil {
		// ServeHTTP decoded the pod without keeping its JSON. Fields this webhook's types
		// do not know are then missing on both sides of the diff, so it leaves them be.
		var err error
		if raw, err = encodeJSON(pod); err != nil {
			return nil, fmt.Errorf("encoding the pod: %w", err)
		}
	}
	patched, err := encodeJSON(mutated)
	if err != nil {
		return nil, fmt.Errorf("encoding the injected pod: %w", err)
	}
	ops, err := jsonpatch.CreatePatch(raw, patched)
	if err != nil {
		return nil, fmt.Errorf("diffing the pod with the injected pod: %w", err)
	}
	return ops, nil
}

// mutate looks up the ConfigMap (unless looked holds it for target already) and runs
// inject.Mutate, returning the ConfigMap it used too. A denial based on a cached copy is
// checked again against a fresh GET, so a just-fixed ConfigMap is not refused.
func (h *Handler) mutate(ctx context.Context, namespace string, pod *corev1.Pod,
	target inject.Target, r *review, looked *lookedUp,
) (*corev1.Pod, []string, *corev1.ConfigMap, error) {
	var (
		cm     *corev1.ConfigMap
		source string
		err    error
	)
	if looked != nil && looked.target == target {
		cm, source = looked.cm, looked.source
	} else if cm, source, err = h.lookupConfigMap(ctx, namespace, target, false); err != nil {
		r.source = source
		return nil, nil, nil, err
	}
	r.source = source
	mutated, warnings, err := inject.Mutate(pod, cm, target, h.Options)
	if _, deniedByCache := inject.IsDenial(err); !deniedByCache || source != sourceCache {
		return mutated, warnings, cm, err
	}

	cm, r.source, err = h.lookupConfigMap(ctx, namespace, target, true)
	if err != nil {
		return nil, nil, nil, err
	}
	mutated, warnings, err = inject.Mutate(pod, cm, target, h.Options)
	return mutated, warnings, cm, err
}

// denied answers a *inject.Denial with 403 and its problems; any other error is ours.
// stage is the denial* constant of the step that failed; a missing ConfigMap is told
// apart by its own.
func denied(r review, stage string, err error) (Response, review) {
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
	return deniedResponse(d.Error()), r
}

// errored answers an internal failure with code and the wrapped error.
func errored(r review, code int32, err error) (Response, review) {
	r.outcome, r.reason, r.err = outcomeErrored, http.StatusText(int(code)), err
	return erroredResponse(code, err), r
}

// logReview writes the one line every review gets. It names the pod, never its
// endpoints.yml, env or denial text.
func (h *Handler) logReview(req Request, r review, took time.Duration) {
	log := h.logger()
	// One call with every pair: WithValues would copy the handler for each review.
	kv := make([]any, 0, 28)
	kv = append(kv, "uid", req.UID, "namespace", req.Namespace, "pod", r.pod,
		"operation", req.Operation, "dryRun", ptr.Deref(req.DryRun, false),
		"outcome", r.outcome, "reason", r.reason, "problems", r.problems,
		"configMapSource", r.source, "duration", took)
	if r.denial != "" {
		kv = append(kv, "deniedAt", r.denial)
	}
	if r.wholePodDiff {
		kv = append(kv, "wholePodDiff", true)
	}
	if r.reused {
		kv = append(kv, "patchReused", true)
	}

	if r.err != nil {
		err := r.err
		if r.userInput {
			err = logSafe(err)
		}
		log.Error(err, "pod review failed", kv...)
		return
	}
	log.Info("pod reviewed", kv...)
}

// logger is h.Logger, or a logger that discards when it is unset.
func (h *Handler) logger() logr.Logger {
	if h.Logger.GetSink() == nil {
		return logr.Discard()
	}
	return h.Logger
}

// countReview updates the metrics for one review.
func (h *Handler) countReview(r review, took time.Duration) {
	reviewsTotal[r.outcome].Inc()
	reviewDuration[r.outcome].Update(took.Seconds())
	switch r.outcome {
	case outcomePatched:
		injectionsTotal.Inc()
		if r.reused {
			patchesReused.Inc()
		}
	case outcomeDenied:
		denialsTotal[r.denial].Inc()
	}
}

// podName is the pod's name, or its generateName prefix while it has no name yet.
func podName(pod *corev1.Pod, req Request) string {
	switch {
	case pod.Name != "":
		return pod.Name
	case pod.GenerateName != "":
		return pod.GenerateName
	}
	return req.Name
}
