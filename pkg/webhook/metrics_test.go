package webhook

import (
	"context"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/metrics"

	"github.com/rasa-vault-webhook/rasa-vault-webhook/pkg/inject"
)

// TestReviewsAreCounted reviews one pod of each outcome and checks each counter moved
// by exactly one, on controller-runtime's registry that /metrics serves.
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

	families, err := metrics.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{"rasa_vault_webhook_reviews_total": false,
		"rasa_vault_webhook_review_duration_seconds": false,
		"rasa_vault_webhook_denials_total":           false,
		"rasa_vault_webhook_injections_total":        false}
	for _, f := range families {
		if _, ok := want[f.GetName()]; ok {
			want[f.GetName()] = true
		}
	}
	for name, found := range want {
		if !found {
			t.Errorf("%s is not on controller-runtime's metrics registry", name)
		}
	}
}

// value reads rasa_vault_webhook_<name> from controller-runtime's registry, the sample
// whose one label has the value label ("" for a metric without labels); 0 if absent.
func value(t *testing.T, name, label string) float64 {
	t.Helper()
	families, err := metrics.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != "rasa_vault_webhook_"+name {
			continue
		}
		for _, m := range f.GetMetric() {
			labels := m.GetLabel()
			if (label == "" && len(labels) == 0) ||
				(len(labels) == 1 && labels[0].GetValue() == label) {
				return m.GetCounter().GetValue()
			}
		}
	}
	return 0
}
