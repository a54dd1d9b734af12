package webhook

import (
	"fmt"
	"io"

	"github.com/VictoriaMetrics/metrics"
)

// Denial reasons, the values of the "reason" label of denialsTotal: the stage that
// found the problems. Few and fixed, so the label stays cheap.
const (
	denialAnnotations = "annotations"
	denialPodLayout   = "pod_layout"
	denialConfigMap   = "configmap_missing"
	denialEndpoints   = "endpoints"
)

// reviewBuckets are the upper bounds of review_duration_seconds: from 1 ms (a cached
// lookup) to the 10 s maximum of a webhook's timeoutSeconds.
var reviewBuckets = []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}

// The webhook's metrics, documented in docs/operations.md. Every label value is known
// up front, so each series is created here, exported from the start with 0, and the
// hot path only reads these maps.
//
// VictoriaMetrics/metrics writes the Prometheus text format without
// prometheus/client_golang and its protobuf packages: linked into the one binary, those
// cost every injected agent about 2.5 MiB of RSS (docs/benchmarks.md).
var (
	set = metrics.NewSet()

	reviewsInFlight = set.NewGauge("rasa_vault_webhook_reviews_in_flight", nil)
	injectionsTotal = set.NewCounter("rasa_vault_webhook_injections_total")
	patchesReused   = set.NewCounter("rasa_vault_webhook_patches_reused_total")
	reviewsTotal    = perLabel("rasa_vault_webhook_reviews_total", "outcome", outcomes,
		set.NewCounter)
	reviewDuration = perLabel("rasa_vault_webhook_review_duration_seconds", "outcome",
		outcomes, func(name string) *metrics.PrometheusHistogram {
			return set.NewPrometheusHistogramExt(name, reviewBuckets)
		})
	denialsTotal = perLabel("rasa_vault_webhook_denials_total", "reason", []string{
		denialAnnotations, denialPodLayout, denialConfigMap, denialEndpoints},
		set.NewCounter)
	configMapLookups = map[string]map[string]*metrics.Counter{
		sourceCache: perLabel(`rasa_vault_webhook_configmap_lookups_total{source="cache"`,
			"result", []string{"hit"}, set.NewCounter),
		sourceAPI: perLabel(`rasa_vault_webhook_configmap_lookups_total{source="api"`,
			"result", []string{"ok", "not_found", "error"}, set.NewCounter),
	}
)

// outcomes are the values of the "outcome" label.
var outcomes = []string{outcomeAllowed, outcomePatched, outcomeDenied, outcomeErrored}

// perLabel creates one series of name per label value. name may already open a label
// set ("name{a=\"b\""), which the new label then extends.
func perLabel[M any](name, label string, values []string, create func(string) M,
) map[string]M {
	open := "{"
	if name[len(name)-1] == '"' {
		open = ","
	}
	series := make(map[string]M, len(values))
	for _, v := range values {
		series[v] = create(fmt.Sprintf("%s%s%s=%q}", name, open, label, v))
	}
	return series
}

// WriteMetrics writes the webhook's metrics, then the Go runtime's and the process's
// (go_*, process_*), in the Prometheus text format, as /metrics serves them.
func WriteMetrics(w io.Writer) {
	set.WritePrometheus(w)
	metrics.WriteProcessMetrics(w)
}

// init turns on the # TYPE lines, so Prometheus knows counters from gauges.
func init() {
	metrics.ExposeMetadata(true)
}
