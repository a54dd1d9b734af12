package webhook

import (
	"github.com/prometheus/client_golang/prometheus"
	"sigs.k8s.io/controller-runtime/pkg/metrics"
)

// Denial reasons, the values of the "reason" label of denialsTotal: the stage that
// found the problems. Few and fixed, so the label stays cheap.
const (
	denialAnnotations = "annotations"
	denialPodLayout   = "pod_layout"
	denialConfigMap   = "configmap_missing"
	denialEndpoints   = "endpoints"
)

// The webhook's own metrics, on controller-runtime's registry so the /metrics endpoint
// of `webhook serve` shows them next to controller-runtime's webhook metrics.
var (
	reviewsTotal = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "rasa_vault_webhook_reviews_total",
		Help: "Pod admission reviews answered, by outcome (allowed, patched, denied, errored).",
	}, []string{"outcome"})

	injectionsTotal = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "rasa_vault_webhook_injections_total",
		Help: "Pods patched with the init container and renewal agent (dry runs included).",
	})

	denialsTotal = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "rasa_vault_webhook_denials_total",
		Help: "Pods denied, by the stage that found the problems.",
	}, []string{"reason"})

	reviewDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "rasa_vault_webhook_review_duration_seconds",
		Help: "Time to answer one pod admission review, by outcome.",
		// From 1 ms (a cached lookup) to the 10 s webhook timeout maximum.
		Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
	}, []string{"outcome"})

	configMapLookups = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "rasa_vault_webhook_configmap_lookups_total",
		Help: "ConfigMap lookups of reviews, by source (cache, api) and result.",
	}, []string{"source", "result"})
)

func init() {
	metrics.Registry.MustRegister(reviewsTotal, injectionsTotal, denialsTotal,
		reviewDuration, configMapLookups)
}
