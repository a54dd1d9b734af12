package inject

import (
	corev1 "k8s.io/api/core/v1"
)

// Plan runs Decide and, for a pod to inject, Locate: everything that can be known
// before the ConfigMap is read. When Locate fails, the denial lists the settings
// annotations' problems too, so the user sees every problem found so far at once; when
// it succeeds, Mutate reports those problems together with the ConfigMap's.
func Plan(pod *corev1.Pod, namespace string, opts Options) (Decision, Target, error) {
	decision, err := Decide(pod, namespace, opts)
	if err != nil || !decision.Inject {
		return decision, Target{}, err
	}

	target, err := Locate(pod)
	if err == nil {
		return decision, target, nil
	}
	located, ok := IsDenial(err)
	if !ok {
		return decision, Target{}, err
	}
	var problems []string
	if _, err := ReadSettings(pod, opts); err != nil {
		if d, ok := IsDenial(err); ok {
			problems = append(problems, d.Problems...)
		}
	}
	return decision, Target{}, deny(append(problems, located.Problems...)...)
}
