package inject

import (
	"fmt"
	"path"
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// candidate is one volume mount that may deliver endpoints.yml.
type candidate struct {
	target Target
	// certain is false for a directory mount of a ConfigMap volume without items: it
	// delivers endpoints.yml only if the ConfigMap has that key, which Locate cannot see.
	certain bool
}

// mountScan is what one container's volume mounts say about endpoints.yml.
type mountScan struct {
	candidates []candidate
	// problems are mounts that look like they deliver endpoints.yml in a way the webhook
	// cannot follow; each is a denial message.
	problems []string
}

// certain returns the candidates whose mount surely delivers endpoints.yml.
func (s mountScan) certain() []candidate {
	var out []candidate
	for _, c := range s.candidates {
		if c.certain {
			out = append(out, c)
		}
	}
	return out
}

// claimsEndpoints reports whether the container surely mounts endpoints.yml, or tries to.
func (s mountScan) claimsEndpoints() bool {
	return len(s.certain()) > 0 || len(s.problems) > 0
}

// scanMounts looks at every volume mount of the container at index ci. configMapName,
// when not empty, restricts the search to volumes of that ConfigMap.
func scanMounts(pod *corev1.Pod, ci int, configMapName string) mountScan {
	var scan mountScan
	container := &pod.Spec.Containers[ci]

	for mi, mount := range container.VolumeMounts {
		volume := findVolume(pod, mount.Name)
		if volume == nil {
			continue
		}

		switch {
		case volume.ConfigMap != nil:
			if configMapName != "" && volume.ConfigMap.Name != configMapName {
				continue
			}
			c, problem, ok := configMapMount(container, mi, volume)
			if problem != "" {
				scan.problems = append(scan.problems, problem)
			}
			if ok {
				c.target.ContainerIndex, c.target.ContainerName = ci, container.Name
				scan.candidates = append(scan.candidates, c)
			}
		case volume.Projected != nil:
			if problem := projectedMount(container, mount, volume, configMapName); problem != "" {
				scan.problems = append(scan.problems, problem)
			}
		}
	}

	return scan
}

// configMapMount decides whether the mount at index mi of container, of the configMap
// volume, delivers endpoints.yml. It returns a candidate (ok), a denial message for a
// mount that tries to but cannot work, or neither.
func configMapMount(
	container *corev1.Container, mi int, volume *corev1.Volume,
) (candidate, string, bool) {
	mount := container.VolumeMounts[mi]
	source := volume.ConfigMap
	where := fmt.Sprintf("container %q volumeMounts[%d] (volume %q, mountPath %s)",
		container.Name, mi, volume.Name, mount.MountPath)
	target := Target{
		MountIndex:    mi,
		VolumeName:    volume.Name,
		ConfigMapName: source.Name,
	}

	if mount.SubPathExpr != "" {
		if !isEndpointsFile(mount.MountPath) {
			return candidate{}, "", false
		}
		return candidate{}, where + ": subPathExpr cannot be followed by the webhook: " +
			"use subPath instead", false
	}

	if mount.SubPath != "" {
		if !isEndpointsFile(mount.SubPath) && !isEndpointsFile(mount.MountPath) {
			return candidate{}, "", false
		}
		target.Layout = LayoutSubPath
		target.EndpointsPath = path.Clean(mount.SubPath)
		return subPathKey(target, source, where)
	}

	target.Layout = LayoutDirectory
	if len(source.Items) == 0 {
		target.EndpointsPath, target.Key = EndpointsFile, EndpointsFile
		return candidate{target: target}, "", true
	}

	var matches []corev1.KeyToPath
	for _, item := range source.Items {
		if isEndpointsFile(item.Path) {
			matches = append(matches, item)
		}
	}
	switch len(matches) {
	case 0:
		return candidate{}, "", false
	case 1:
		target.EndpointsPath, target.Key = path.Clean(matches[0].Path), matches[0].Key
		target.KeyFromItems = true
		return candidate{target: target, certain: true}, "", true
	}
	return candidate{}, fmt.Sprintf("%s: configMap.items map %d keys to a file named %s: "+
		"keep one", where, len(matches), EndpointsFile), false
}

// subPathKey finds the ConfigMap key behind a subPath mount.
func subPathKey(target Target, source *corev1.ConfigMapVolumeSource, where string) (
	candidate, string, bool,
) {
	if len(source.Items) == 0 {
		if strings.Contains(target.EndpointsPath, "/") {
			return candidate{}, fmt.Sprintf("%s: subPath %q names no ConfigMap key: without "+
				"configMap.items the volume holds one file per key at its top level",
				where, target.EndpointsPath), false
		}
		target.Key = target.EndpointsPath
		return candidate{target: target, certain: true}, "", true
	}

	for _, item := range source.Items {
		if path.Clean(item.Path) == target.EndpointsPath {
			target.Key, target.KeyFromItems = item.Key, true
			return candidate{target: target, certain: true}, "", true
		}
	}
	return candidate{}, fmt.Sprintf("%s: subPath %q is not a path in the volume's "+
		"configMap.items: add an item with that path or fix the subPath",
		where, target.EndpointsPath), false
}

// projectedMount returns a denial message when a projected volume with a ConfigMap
// source seems to deliver endpoints.yml, which the webhook does not support.
func projectedMount(
	container *corev1.Container, mount corev1.VolumeMount, volume *corev1.Volume,
	configMapName string,
) string {
	looksLikeEndpoints := isEndpointsFile(mount.SubPath) || isEndpointsFile(mount.MountPath)
	hasConfigMap := false
	for _, source := range volume.Projected.Sources {
		if source.ConfigMap == nil {
			continue
		}
		if configMapName != "" && source.ConfigMap.Name != configMapName {
			continue
		}
		hasConfigMap = true
		for _, item := range source.ConfigMap.Items {
			looksLikeEndpoints = looksLikeEndpoints || isEndpointsFile(item.Path)
		}
	}
	if !hasConfigMap || !looksLikeEndpoints {
		return ""
	}

	return fmt.Sprintf("container %q mounts %s from projected volume %q, which the webhook "+
		"does not support: mount the ConfigMap with a configMap volume instead",
		container.Name, EndpointsFile, volume.Name)
}

// isEndpointsFile reports whether p names a file called endpoints.yml.
func isEndpointsFile(p string) bool {
	return p != "" && path.Base(p) == EndpointsFile
}

// findVolume returns the pod volume called name, or nil.
func findVolume(pod *corev1.Pod, name string) *corev1.Volume {
	for i := range pod.Spec.Volumes {
		if pod.Spec.Volumes[i].Name == name {
			return &pod.Spec.Volumes[i]
		}
	}
	return nil
}
