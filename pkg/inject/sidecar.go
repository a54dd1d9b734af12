package inject

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
)

// sidecarWarnings explains what running the agent as a regular container costs, and
// what init-only injection gives up.
func sidecarWarnings(pod *corev1.Pod, settings Settings, opts Options) []string {
	if !settings.Sidecar {
		return nil
	}
	if !opts.SidecarAsContainer {
		return nil
	}

	warning := fmt.Sprintf("the apiserver has no native sidecars (Kubernetes < 1.29), so "+
		"%s runs as a regular container: it may start after the assistant and keeps the "+
		"pod running after the assistant exits", AgentContainerName)
	if why := runsToCompletion(pod); why != "" {
		warning += fmt.Sprintf("; %s, yet it will never complete: set annotation %s to "+
			"\"false\" for run-to-completion pods", why, AnnotationAgentSidecar)
	}
	return []string{warning}
}

// runsToCompletion says why pod is meant to finish (a Job owns it, as for CronJobs, or
// its restartPolicy), or "".
func runsToCompletion(pod *corev1.Pod) string {
	for _, ref := range pod.OwnerReferences {
		if ref.Kind == "Job" && ref.APIVersion == "batch/v1" {
			return "it belongs to Job " + ref.Name
		}
	}
	switch pod.Spec.RestartPolicy {
	case corev1.RestartPolicyNever, corev1.RestartPolicyOnFailure:
		return "its restartPolicy is " + string(pod.Spec.RestartPolicy)
	}
	return ""
}
