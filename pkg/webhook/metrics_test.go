package webhook

import (
	"bytes"
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/rasa-vault-webhook/rasa-vault-webhook/pkg/inject"
)

// TestReviewsAreCounted reviews one pod of each outcome and checks each counter moved
// by exactly one, on Registry, which /metrics serves.
func TestReviewsAreCounted(t *testing.T) {
	pod, cm := chartFixture(t)
	badValue := pod.DeepCopy()
	badValue.Annotations[inject.AnnotationInject] = "yes"
	noConfigMap := pod.DeepCopy()
	noConfigMap.Spec.Volumes[0].ConfigMap.Name = "absent"
	optedOut := pod.DeepCopy()
	optedOut.Annotations[inject.AnnotationInject] = "false"

	tests := []struct {
		name    string
		pod     *corev1.Pod
		outcome string
		denial  string
	}{
		{name: "an injected pod counts as patched", pod: pod, outcome: outcomePatched},
		{name: "an opted-out pod counts as allowed", pod: optedOut, outcome: outcomeAllowed},
		{name: "a bad annotation counts as an annotations denial", pod: badValue,
			outcome: outcomeDenied, denial: denialAnnotations},
		{name: "a missing ConfigMap counts as its own denial reason", pod: noConfigMap,
			outcome: outcomeDenied, denial: denialConfigMap},
	}
	h := newHandler(cm)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reviews := value(t, "reviews_total", tt.outcome)
			injections := value(t, "injections_total", "")
			var denials float64
			if tt.denial != "" {
				denials = value(t, "denials_total", tt.denial)
			}

			h.Handle(context.Background(), podRequest(t, tt.pod))

			if got := value(t, "reviews_total", tt.outcome); got !=
				reviews+1 {
				t.Errorf("reviews{outcome=%s} went from %v to %v", tt.outcome, reviews, got)
			}
			wantInjections := injections
			if tt.outcome == outcomePatched {
				wantInjections++
			}
			if got := value(t, "injections_total", ""); got != wantInjections {
				t.Errorf("injections = %v, want %v", got, wantInjections)
			}
			if tt.denial != "" {
				if got := value(t, "denials_total", tt.denial); got !=
					denials+1 {
					t.Errorf("denials{reason=%s} went from %v to %v", tt.denial, denials, got)
				}
			}
		})
	}

	var out bytes.Buffer
	WriteMetrics(&out)
	for _, name := range []string{"rasa_vault_webhook_reviews_total{",
		"rasa_vault_webhook_review_duration_seconds_bucket{",
		"rasa_vault_webhook_denials_total{", "rasa_vault_webhook_injections_total ",
		"rasa_vault_webhook_configmap_lookups_total{", "rasa_vault_webhook_reviews_in_flight ",
		"go_goroutines ", "process_resident_memory_bytes "} {
		if !strings.Contains(out.String(), "\n"+name) {
			t.Errorf("/metrics has no %s...", name)
		}
	}
}

// value reads rasa_vault_webhook_<name> from what /metrics serves: the sample whose
// one label has the value label ("" for a metric without labels); 0 if absent.
func value(t *testing.T, name, label string) float64 {
	t.Helper()
	var out bytes.Buffer
	WriteMetrics(&out)
	series := "rasa_vault_webhook_" + name
	for line := range strings.Lines(out.String()) {
		sample, v, ok := strings.Cut(strings.TrimSpace(line), " ")
		if !ok {
			continue
		}
		metric, labels, _ := strings.Cut(sample, "{")
		if metric != series || (label == "") != (labels == "") ||
			(label != "" && !strings.HasSuffix(labels, fmt.Sprintf("=%q}", label))) {
			continue
		}
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			t.Fatalf("%s: %v", line, err)
		}
		return f
	}
	return 0
}
