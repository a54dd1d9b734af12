package inject

import (
	"errors"
	"fmt"
	"maps"
	"slices"

	corev1 "k8s.io/api/core/v1"

	"github.com/rasa-vault-webhook/rasa-vault-webhook/pkg/endpoints"
)

// Mutate is the last step: it checks endpoints.yml in cm, the ConfigMap named by target,
// and the settings annotations, and returns a changed copy of pod plus admission
// warnings. pod is not modified. The copy shares with pod what it does not change (a
// container's probes, a volume's source, ...): treat both as read-only afterwards, or
// DeepCopy the result first.
//
// The copy gains the SecretsVolumeName tmpfs, InitContainerName and AgentContainerName
// at the front of initContainers (the agent as a native sidecar, or a regular container
// with Options.SidecarAsContainer, or none with agent-sidecar "false"), and
// AnnotationStatus, plus TokenVolumeName with Kubernetes auth or TokenSecretVolumeName
// with AnnotationTokenSecret. The assistant loses its SECRET_MANAGER and VAULT_*
// variables to the injected containers, and its endpoints.yml mount now reads from the
// tmpfs.
//
// A pod or ConfigMap that cannot work is a *Denial listing every problem; a target that
// does not match pod, or invalid opts, is an ordinary error because the caller erred.
func Mutate(pod *corev1.Pod, cm *corev1.ConfigMap, target Target, opts Options) (
	*corev1.Pod, []string, error,
) {
	if err := opts.Validate(); err != nil {
		return nil, nil, fmt.Errorf("invalid injection options: %w", err)
	}
	if err := checkTarget(pod, cm, target); err != nil {
		return nil, nil, fmt.Errorf("target does not match the pod: %w", err)
	}

	var problems []string
	settings, err := ReadSettings(pod, opts)
	if d, ok := IsDenial(err); ok {
		problems = append(problems, d.Problems...)
	}
	problems = append(problems, nameClashes(pod)...)

	namespace := cm.Namespace
	if namespace == "" {
		namespace = pod.Namespace
	}
	source, err := readEndpoints(cm, namespace, target)
	if d, ok := IsDenial(err); ok {
		return nil, nil, deny(append(problems, d.Problems...)...)
	}

	assistant := &pod.Spec.Containers[target.ContainerIndex]
	review := reviewSecretsManager(source, assistant, settings)
	problems = append(problems, endpointsProblems(source, review)...)
	if len(review.problems) == 0 {
		problems = append(problems, vaultConfigProblems(source, assistant, settings)...)
	}
	problems = append(problems, tokenSecretClash(assistant, settings)...)
	if len(problems) > 0 {
		return nil, nil, deny(problems...)
	}

	uses := source.envUses
	usedElsewhere := map[string]bool{}
	for _, use := range uses {
		usedElsewhere[use.Name] = true
	}
	split := splitEnv(assistant.Env, review.usedEnv, usedElsewhere)
	split.agent = append(split.agent, tokenSecretEnv(settings, review.usedEnv)...)
	tlsMounts, tlsProblems, tlsWarnings := tlsFiles(assistant, split.agent, target)
	if len(tlsProblems) > 0 {
		return nil, nil, deny(tlsProblems...)
	}
	warnings := append(review.warnings, movedEnvWarnings(source, assistant, split, uses)...)
	warnings = append(warnings, sidecarWarnings(pod, settings, opts)...)
	warnings = append(warnings, tlsWarnings...)
	warnings = append(warnings, readabilityWarning(pod, assistant)...)
	warnings = append(warnings, ownInitWarning(pod, target)...)

	return apply(pod, target, split, settings, opts, tlsMounts), warnings, nil
}

// endpointsProblems lists, in one go, everything that stops endpoints.yml from being
// resolved: its structural problems, the lack of any reference, and the secrets
// manager configuration.
func endpointsProblems(source endpointsSource, review secretsManagerReview) []string {
	var problems []string
	for _, p := range source.problems {
		problems = append(problems, fmt.Sprintf("%s: %s: %s",
			source.where, endpoints.FileName, p))
	}
	if len(source.references) == 0 {
		problems = append(problems, fmt.Sprintf("%s: %s has no Vault reference (a mapping "+
			"with source: %s and secret_key), so there is nothing to inject: add one, or "+
			"remove annotation %s", source.where, endpoints.FileName, endpoints.SourceVault,
			AnnotationInject))
	}
	return append(problems, review.problems...)
}

// tokenSecretClash reports a token given twice: by AnnotationTokenSecret (the token
// file) and by the assistant's own VAULT_TOKEN, which would move to the injected
// containers and be silently overridden by the file.
func tokenSecretClash(assistant *corev1.Container, settings Settings) []string {
	if settings.TokenSecret == nil {
		return nil
	}
	for _, e := range assistant.Env {
		if e.Name == envVaultToken {
			return []string{fmt.Sprintf("annotation %s: container %q sets %s too, so the "+
				"token would come from two places: remove the annotation or the variable",
				AnnotationTokenSecret, clip(assistant.Name), envVaultToken)}
		}
	}
	return nil
}

// apply makes the changed copy; every check has passed by now.
func apply(
	pod *corev1.Pod, target Target, split envSplit, settings Settings, opts Options,
	extraMounts []corev1.VolumeMount,
) *corev1.Pod {
	out := writableCopy(pod)
	assistant := &out.Spec.Containers[target.ContainerIndex]
	assistant.VolumeMounts = slices.Clone(assistant.VolumeMounts)
	injected := agentContainers(target, assistant, split.agent, settings, opts)
	for i := range injected {
		for _, m := range extraMounts {
			injected[i].VolumeMounts = append(injected[i].VolumeMounts, *m.DeepCopy())
		}
		avoidRootUser(out, &injected[i])
	}

	assistant.Env = split.kept
	mount := &assistant.VolumeMounts[target.MountIndex]
	mount.Name = SecretsVolumeName
	// The ConfigMap mount was read-only by nature; the tmpfs must not become writable
	// (or fillable) by the assistant in its place.
	mount.ReadOnly = true
	if target.Layout == LayoutSubPath {
		mount.SubPath = target.EndpointsPath
	}

	out.Spec.Volumes = append(out.Spec.Volumes, secretsVolume(opts))
	if settings.AuthMethod == AuthKubernetes {
		out.Spec.Volumes = append(out.Spec.Volumes, tokenVolume())
	}
	if settings.TokenSecret != nil {
		out.Spec.Volumes = append(out.Spec.Volumes, tokenSecretVolume(out, settings.TokenSecret))
	}
	if opts.SidecarAsContainer && len(injected) > 1 {
		out.Spec.Containers = append(out.Spec.Containers, injected[1:]...)
		injected = injected[:1]
	}
	out.Spec.InitContainers = append(injected, out.Spec.InitContainers...)
	if out.Annotations == nil {
		out.Annotations = map[string]string{}
	}
	out.Annotations[AnnotationStatus] = StatusInjected
	return out
}

// checkTarget makes sure target came from Locate for this pod and cm is its ConfigMap.
func checkTarget(pod *corev1.Pod, cm *corev1.ConfigMap, target Target) error {
	if cm == nil {
		return errors.New("no ConfigMap given")
	}
	if _, done := pod.Annotations[AnnotationStatus]; done {
		return fmt.Errorf("the pod carries %s already", AnnotationStatus)
	}

	ci, mi := target.ContainerIndex, target.MountIndex
	if ci < 0 || ci >= len(pod.Spec.Containers) ||
		pod.Spec.Containers[ci].Name != target.ContainerName {
		return fmt.Errorf("no container %q at index %d", target.ContainerName, ci)
	}
	mounts := pod.Spec.Containers[ci].VolumeMounts
	if mi < 0 || mi >= len(mounts) || mounts[mi].Name != target.VolumeName {
		return fmt.Errorf("no mount of volume %q at index %d", target.VolumeName, mi)
	}
	volume := findVolume(pod, target.VolumeName)
	if volume == nil || volume.ConfigMap == nil ||
		volume.ConfigMap.Name != target.ConfigMapName {
		return fmt.Errorf("volume %q is not ConfigMap %q", target.VolumeName,
			target.ConfigMapName)
	}
	if cm.Name != target.ConfigMapName {
		return fmt.Errorf("got ConfigMap %q, want %q", cm.Name, target.ConfigMapName)
	}
	if target.Key == "" || target.EndpointsPath == "" {
		return errors.New("no ConfigMap key or endpoints path")
	}
	return nil
}

// nameClashes lists the injected names the pod uses already.
func nameClashes(pod *corev1.Pod) []string {
	var problems []string
	for _, name := range []string{SecretsVolumeName, TokenVolumeName, TokenSecretVolumeName} {
		if findVolume(pod, name) != nil {
			problems = append(problems, fmt.Sprintf("spec.volumes: the name %q is reserved "+
				"for the webhook: rename the pod's volume", name))
		}
	}

	taken := map[string]bool{}
	for _, c := range pod.Spec.InitContainers {
		taken[c.Name] = true
	}
	for _, c := range pod.Spec.Containers {
		taken[c.Name] = true
	}
	for _, name := range []string{InitContainerName, AgentContainerName} {
		if taken[name] {
			problems = append(problems, fmt.Sprintf("container name %q is reserved for the "+
				"webhook: rename the pod's container", name))
		}
	}
	return problems
}

// nonRootUID is the user of the distroless "nonroot" image the agent ships in.
const nonRootUID int64 = 65532

// avoidRootUser gives an injected container an explicit non-root user when it would
// otherwise inherit a pod-level runAsUser of 0: with runAsNonRoot set, the kubelet
// would refuse to start it and the pod would hang in Init.
func avoidRootUser(pod *corev1.Pod, c *corev1.Container) {
	if c.SecurityContext == nil || c.SecurityContext.RunAsUser != nil {
		return
	}
	psc := pod.Spec.SecurityContext
	if psc != nil && psc.RunAsUser != nil && *psc.RunAsUser == 0 {
		uid := nonRootUID
		c.SecurityContext.RunAsUser = &uid
	}
}

// writableCopy copies of pod what apply writes to: the pod and spec structs, the
// annotations, the containers, and the volumes slice (clipped, so an append cannot write
// into pod's array; init containers get a new array anyway). What they point to stays
// shared with pod: a deep copy was a quarter of Mutate's CPU, and sharing lets the
// webhook's check that nothing else changed stop at the first identical pointer.
func writableCopy(pod *corev1.Pod) *corev1.Pod {
	out := *pod
	out.Annotations = maps.Clone(pod.Annotations)
	out.Spec.Containers = slices.Clone(pod.Spec.Containers)
	out.Spec.Volumes = slices.Clip(pod.Spec.Volumes)
	return &out
}
