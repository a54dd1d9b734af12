package inject

import (
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// Locate is the second step: it finds the assistant container and the ConfigMap mount
// that delivers its endpoints.yml. The container is the one named by
// AnnotationContainer, else the pod's only container, else the one container that
// mounts endpoints.yml from a ConfigMap; AnnotationConfigMap narrows the ConfigMaps
// considered. Anything ambiguous or unsupported is a *Denial that says which annotation
// or field settles it.
func Locate(pod *corev1.Pod) (Target, error) {
	configMapName := pod.Annotations[AnnotationConfigMap]
	scans := make([]mountScan, len(pod.Spec.Containers))
	for i := range pod.Spec.Containers {
		scans[i] = scanMounts(pod, i, configMapName)
	}

	ci, err := assistantContainer(pod, scans)
	if err != nil {
		return Target{}, fmt.Errorf("finding the assistant container: %w", err)
	}

	target, err := endpointsMount(pod, ci, scans[ci], configMapName)
	if err != nil {
		return Target{}, fmt.Errorf("finding the endpoints.yml mount: %w", err)
	}
	return target, nil
}

// assistantContainer returns the index of the assistant in spec.containers; scans are
// the containers' mounts, in the same order.
func assistantContainer(pod *corev1.Pod, scans []mountScan) (int, error) {
	containers := pod.Spec.Containers
	if name, ok := pod.Annotations[AnnotationContainer]; ok {
		for i := range containers {
			if containers[i].Name == name {
				return i, nil
			}
		}
		return 0, deny(fmt.Sprintf("annotation %s: the pod has no container named %q: "+
			"set it to one of %s", AnnotationContainer, name, containerNames(pod)))
	}

	switch len(containers) {
	case 0:
		return 0, deny("spec.containers is empty: the pod needs an assistant container")
	case 1:
		return 0, nil
	}

	var claiming, possible []int
	for i, scan := range scans {
		if scan.claimsEndpoints() {
			claiming = append(claiming, i)
		} else if len(scan.candidates) > 0 {
			possible = append(possible, i)
		}
	}
	if len(claiming) == 0 {
		claiming = possible
	}
	if len(claiming) == 1 {
		return claiming[0], nil
	}

	reason := "no container mounts " + EndpointsFile + " from a ConfigMap"
	if len(claiming) > 1 {
		reason = "several containers mount " + EndpointsFile + " from a ConfigMap"
	}
	return 0, deny(fmt.Sprintf("%s, so the assistant container is unclear: set annotation "+
		"%s to one of %s", reason, AnnotationContainer, containerNames(pod)))
}

// endpointsMount returns the one mount of container ci that delivers endpoints.yml.
func endpointsMount(pod *corev1.Pod, ci int, scan mountScan, configMapName string) (
	Target, error,
) {
	if len(scan.problems) > 0 {
		return Target{}, deny(scan.problems...)
	}

	candidates := scan.certain()
	if len(candidates) == 0 {
		candidates = scan.candidates
	}
	if len(candidates) == 1 {
		return candidates[0].target, nil
	}

	name := pod.Spec.Containers[ci].Name
	if len(candidates) == 0 {
		restriction := ""
		if configMapName != "" {
			restriction = fmt.Sprintf(" named by annotation %s (%q)",
				AnnotationConfigMap, configMapName)
		}
		return Target{}, deny(fmt.Sprintf("container %q mounts no ConfigMap%s that "+
			"delivers %s: mount it with subPath %s, or mount the ConfigMap as a "+
			"directory holding %s", name, restriction, EndpointsFile, EndpointsFile,
			EndpointsFile))
	}

	mounts := make([]string, 0, len(candidates))
	for _, c := range candidates {
		mounts = append(mounts, fmt.Sprintf("%s (ConfigMap %q)",
			pod.Spec.Containers[ci].VolumeMounts[c.target.MountIndex].MountPath,
			c.target.ConfigMapName))
	}
	return Target{}, deny(fmt.Sprintf("container %q may get %s from several mounts: %s: "+
		"set annotation %s to the ConfigMap that holds it", name, EndpointsFile,
		strings.Join(mounts, ", "), AnnotationConfigMap))
}

// containerNames lists the pod's container names for a denial message.
func containerNames(pod *corev1.Pod) string {
	names := make([]string, 0, len(pod.Spec.Containers))
	for _, c := range pod.Spec.Containers {
		names = append(names, fmt.Sprintf("%q", c.Name))
	}
	return strings.Join(names, ", ")
}
