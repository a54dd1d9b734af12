package webhook

import (
	"math"
	"reflect"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/utils/ptr"
)

// TestDeepEqualAgreesWithReflect changes a copy of the chart pod in one way per case,
// each a kind of value deepEqual walks, and wants deepEqual to answer as
// reflect.DeepEqual does.
func TestDeepEqualAgreesWithReflect(t *testing.T) {
	pod, _ := chartFixture(t)
	tests := []struct {
		name   string
		change func(p, orig *corev1.Pod)
		equal  bool
	}{
		{name: "an untouched copy is equal", change: func(_, _ *corev1.Pod) {}, equal: true},
		{name: "a changed name differs", change: func(p, orig *corev1.Pod) { p.Name += "x" }},
		{name: "a nil annotation map differs from an empty one", change: func(p, orig *corev1.Pod) {
			p.Annotations = map[string]string{}
			orig.Annotations = nil
		}},
		{name: "a changed annotation value differs", change: func(p, orig *corev1.Pod) {
			p.Annotations, orig.Annotations = map[string]string{"a": "1"},
				map[string]string{"a": "2"}
		}},
		{name: "an annotation under another key differs", change: func(p, orig *corev1.Pod) {
			p.Annotations, orig.Annotations = map[string]string{"a": "1"},
				map[string]string{"b": "1"}
		}},
		{name: "equal annotations in other maps are equal", change: func(p, orig *corev1.Pod) {
			p.Annotations, orig.Annotations = map[string]string{"a": "1", "b": "2"},
				map[string]string{"b": "2", "a": "1"}
		}, equal: true},
		{name: "an empty env differs from a nil one", change: func(p, orig *corev1.Pod) {
			p.Spec.Containers[0].Env = []corev1.EnvVar{}
			orig.Spec.Containers[0].Env = nil
		}},
		{name: "an added env variable differs", change: func(p, orig *corev1.Pod) {
			p.Spec.Containers[0].Env = append(p.Spec.Containers[0].Env,
				corev1.EnvVar{Name: "EXTRA"})
		}},
		{name: "a set pointer differs from a nil one", change: func(p, orig *corev1.Pod) {
			p.Spec.TerminationGracePeriodSeconds = ptr.To[int64](1)
			orig.Spec.TerminationGracePeriodSeconds = nil
		}},
		{name: "a changed pointed-to value differs", change: func(p, orig *corev1.Pod) {
			p.Spec.TerminationGracePeriodSeconds = ptr.To[int64](2)
			orig.Spec.TerminationGracePeriodSeconds = ptr.To[int64](1)
		}},
		{name: "a quantity written another way differs", change: func(p, orig *corev1.Pod) {
			p.Spec.Containers[0].Resources.Limits = corev1.ResourceList{
				corev1.ResourceMemory: resource.MustParse("1Gi")}
			orig.Spec.Containers[0].Resources.Limits = corev1.ResourceList{
				corev1.ResourceMemory: resource.MustParse("1024Mi")}
		}},
		{name: "a changed bool in a nested struct differs", change: func(p, orig *corev1.Pod) {
			p.Spec.Containers[0].Stdin = !p.Spec.Containers[0].Stdin
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pod := pod.DeepCopy()
			changed := pod.DeepCopy()
			tt.change(changed, pod)
			want := reflect.DeepEqual(changed, pod)
			if want != tt.equal {
				t.Fatalf("reflect.DeepEqual says %v; the case is wrong", want)
			}
			if got := deepEqual(changed, pod); got != want {
				t.Errorf("deepEqual says %v, reflect.DeepEqual %v", got, want)
			}
		})
	}
}

// TestDeepEqualOnOtherKinds covers the kinds a pod does not hold today.
func TestDeepEqualOnOtherKinds(t *testing.T) {
	nan := math.NaN()
	tests := []struct {
		name string
		a, b any
	}{
		{name: "NaN is not equal to itself", a: nan, b: nan},
		{name: "interfaces with different dynamic types differ", a: []any{1}, b: []any{"1"}},
		{name: "interfaces with equal values are equal", a: []any{1, "x"}, b: []any{1, "x"}},
		{name: "a nil interface differs from a set one", a: []any{nil}, b: []any{0}},
		{name: "arrays compare by element", a: [2]int{1, 2}, b: [2]int{1, 3}},
		{name: "values of different types differ", a: int32(1), b: int64(1)},
		{name: "nil funcs are equal", a: (func())(nil), b: (func())(nil)},
		{name: "a nil value equals only nil", a: nil, b: 0},
		{name: "complex numbers compare by value", a: 1 + 2i, b: 1 + 2i},
		{name: "unsigned integers compare by value", a: []uint8{1}, b: []uint8{2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := reflect.DeepEqual(tt.a, tt.b)
			if got := deepEqual(tt.a, tt.b); got != want {
				t.Errorf("deepEqual(%#v, %#v) = %v, reflect.DeepEqual says %v", tt.a, tt.b,
					got, want)
			}
		})
	}
}
