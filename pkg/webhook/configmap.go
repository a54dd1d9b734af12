package webhook

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"

	"github.com/rasa-vault-webhook/rasa-vault-webhook/pkg/inject"
)

// ConfigMapTimeout bounds the one API read of a review (and its wait for the rate
// limiter). The webhook is configured with a short timeoutSeconds so an outage never
// stalls pod creation for long; the read must leave most of that budget for the rest
// of the review and the reply.
const ConfigMapTimeout = time.Second

// Where a review's ConfigMap came from, as the "source" label of configMapLookups.
const (
	sourceCache = "cache"
	sourceAPI   = "api"
)

// lookupConfigMap returns the ConfigMap named by target in namespace, the request's
// own: from h.Cache when it holds it and fresh is false, else by one bounded GET. The
// result may hold only target.Key. A ConfigMap that does not exist is an
// *inject.Denial: the pod cannot work without it.
func (h *Handler) lookupConfigMap(
	ctx context.Context, namespace string, target inject.Target, fresh bool,
) (*corev1.ConfigMap, string, error) {
	key := cacheKey{namespace: namespace, name: target.ConfigMapName, key: target.Key}
	if h.Cache != nil && !fresh {
		if cm, ok := h.Cache.get(key); ok {
			configMapLookups[sourceCache]["hit"].Inc()
			return cm, sourceCache, nil
		}
	}

	shared, err, _ := h.misses.Do(key.String(), func() (any, error) {
		// Not the first caller's context: its cancellation must not fail the others.
		// getConfigMap still bounds the call with ConfigMapTimeout.
		return h.getConfigMap(context.WithoutCancel(ctx), namespace, target)
	})
	var cm *corev1.ConfigMap
	if err == nil {
		// Each review gets its own copy; the shared object also goes into the cache.
		cm = shared.(*corev1.ConfigMap).DeepCopy()
	}
	result := "ok"
	switch {
	case apierrors.IsNotFound(err):
		result = "not_found"
	case err != nil:
		result = "error"
	}
	configMapLookups[sourceAPI][result].Inc()
	if err != nil {
		return nil, sourceAPI, err
	}
	if h.Cache != nil {
		h.Cache.add(key, cm)
	}
	return cm, sourceAPI, nil
}

// getConfigMap GETs the ConfigMap, waiting for h.Cache's rate limiter first when there
// is one; the wait and the GET together take at most ConfigMapTimeout.
func (h *Handler) getConfigMap(ctx context.Context, namespace string, target inject.Target) (
	*corev1.ConfigMap, error,
) {
	ctx, cancel := context.WithTimeout(ctx, ConfigMapTimeout)
	defer cancel()

	name := fmt.Sprintf("%s/%s", namespace, target.ConfigMapName)
	if h.Cache != nil {
		if err := h.Cache.wait(ctx, namespace); err != nil {
			return nil, fmt.Errorf("reading ConfigMap %s: rate limited: %w", name, err)
		}
	}

	cm, err := h.Reader.GetConfigMap(ctx, namespace, target.ConfigMapName)
	switch {
	case err == nil:
		return cm, nil
	case apierrors.IsNotFound(err):
		return nil, &notFound{err: err, denial: &inject.Denial{Problems: []string{
			fmt.Sprintf("ConfigMap %s not found: volume %q of the pod names it for %s; "+
				"create the ConfigMap before the pod, or fix the volume's configMap.name",
				name, target.VolumeName, inject.EndpointsFile)}}}
	}
	return nil, fmt.Errorf("reading ConfigMap %s: %w", name, err)
}

// notFound is the denial for a missing ConfigMap that still answers IsNotFound.
type notFound struct {
	err    error
	denial *inject.Denial
}

// Error is the denial's text.
func (n *notFound) Error() string { return n.denial.Error() }

// Unwrap lets errors.As find both the denial and the API status error.
func (n *notFound) Unwrap() []error { return []error{n.denial, n.err} }
