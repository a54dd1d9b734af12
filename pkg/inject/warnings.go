package inject

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
)

// readabilityWarning explains when the resolved file (mode 0440) may be unreadable by
// the assistant: with no fsGroup and no runAsUser anywhere, each container runs as its
// image's user, and the agent's is not the assistant's.
func readabilityWarning(pod *corev1.Pod, assistant *corev1.Container) []string {
	if sc := pod.Spec.SecurityContext; sc != nil && (sc.FSGroup != nil || sc.RunAsUser != nil) {
		return nil
	}
	if sc := assistant.SecurityContext; sc != nil && sc.RunAsUser != nil {
		return nil
	}
	return []string{fmt.Sprintf("the pod sets neither spec.securityContext.fsGroup nor a "+
		"runAsUser, so the agent (its image's user) writes endpoints.yml with mode 0440 "+
		"that container %q may not be able to read: set spec.securityContext.fsGroup",
		assistant.Name)}
}

// ownInitWarning names the pod's own init containers that mount the ConfigMap volume
// holding endpoints.yml: they run before the assistant but still see the unresolved
// file, with its references and no credentials.
func ownInitWarning(pod *corev1.Pod, target Target) []string {
	var warnings []string
	for _, c := range pod.Spec.InitContainers {
		for _, m := range c.VolumeMounts {
			if m.Name == target.VolumeName {
				warnings = append(warnings, fmt.Sprintf("init container %q mounts volume %q "+
					"and so sees endpoints.yml unresolved (references, no credentials): "+
					"only container %q gets the resolved file", c.Name, target.VolumeName,
					target.ContainerName))
				break
			}
		}
	}
	return warnings
}
