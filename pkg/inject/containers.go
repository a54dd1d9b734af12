package inject

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"
)

// Names and paths of what Mutate adds. The "rvw-" prefix keeps them apart from the
// pod's own names; a pod that already uses one is denied rather than overwritten.
const (
	// SecretsVolumeName is the memory-backed volume the resolved files are written to.
	SecretsVolumeName = "rvw-secrets"
	// InitContainerName writes the resolved files once before the assistant starts.
	InitContainerName = "rvw-init"
	// AgentContainerName keeps the Vault token alive and the files current, as a native
	// sidecar that starts before the assistant and stops after it.
	AgentContainerName = "rvw-agent"
	// SourceDir is where the injected containers see the pod's ConfigMap volume.
	SourceDir = "/rvw/config"
	// OutputDir is where the injected containers see SecretsVolumeName.
	OutputDir = "/rvw/out"
	// AgentBinary is the webhook binary's path in its image; "agent" is its subcommand.
	AgentBinary = "/webhook"
)

// agentContainers returns the init container and, unless settings turn it off, the
// renewal agent, in that order. The init container takes settings.Resources as they
// are (settings are made for this one pod), so the caller must not reuse them.
func agentContainers(
	target Target, assistant *corev1.Container, env []corev1.EnvVar, settings Settings,
	opts Options,
) []corev1.Container {
	out := []corev1.Container{
		agentContainer(InitContainerName, target, assistant, env, settings, true),
	}
	if !settings.Sidecar {
		return out
	}
	agent := agentContainer(AgentContainerName, target, assistant, env, settings, false)
	// The init container took settings.Resources itself; the agent gets its own maps.
	agent.Resources = *settings.Resources.DeepCopy()
	agent.ReadinessProbe = agentReadinessProbe()
	if !opts.SidecarAsContainer {
		agent.RestartPolicy = ptr.To(corev1.ContainerRestartPolicyAlways)
	}
	return append(out, agent)
}

// agentContainer builds one injected container; once makes it exit after the first
// successful write.
func agentContainer(
	name string, target Target, assistant *corev1.Container, env []corev1.EnvVar,
	settings Settings, once bool,
) corev1.Container {
	command := []string{AgentBinary, "agent"}
	if once {
		command = append(command, "--once")
	}
	command = append(command,
		"--source-dir="+SourceDir,
		"--endpoints-file="+target.EndpointsPath,
		"--output-dir="+OutputDir,
		// Explicit, so the cause of a failure lands where the kubelet reads it whatever
		// the agent's built-in default.
		"--termination-message-path="+corev1.TerminationMessagePathDefault,
	)
	if target.Layout == LayoutDirectory {
		// The assistant's whole directory is replaced, so its other files must follow.
		command = append(command, "--copy-others")
	}
	command = append(command, authFlags(settings)...)
	command = append(command, tokenSecretFlags(settings)...)
	if !once && settings.RefreshInterval > 0 {
		command = append(command, "--refresh-interval="+settings.RefreshInterval.String())
	}

	var agentEnv []corev1.EnvVar
	for i := range env {
		agentEnv = append(agentEnv, *env[i].DeepCopy())
	}

	mounts := []corev1.VolumeMount{
		{Name: target.VolumeName, MountPath: SourceDir, ReadOnly: true},
		{Name: SecretsVolumeName, MountPath: OutputDir},
	}
	if settings.AuthMethod == AuthKubernetes {
		mounts = append(mounts, corev1.VolumeMount{
			Name: TokenVolumeName, MountPath: TokenDir, ReadOnly: true})
	}
	mounts = append(mounts, tokenSecretMounts(settings)...)

	return corev1.Container{
		Name:                     name,
		Image:                    settings.Image,
		ImagePullPolicy:          settings.ImagePullPolicy,
		Command:                  command,
		Env:                      agentEnv,
		Resources:                settings.Resources,
		VolumeMounts:             mounts,
		TerminationMessagePath:   corev1.TerminationMessagePathDefault,
		TerminationMessagePolicy: corev1.TerminationMessageFallbackToLogsOnError,
		SecurityContext:          restrictedSecurityContext(assistant),
	}
}

// agentReadinessProbe asks the renewal agent, through its own binary (the image has no
// shell), whether its token is alive and Vault still answers: an expired token makes
// the pod unready instead of silently serving credentials that no longer rotate. No
// startup probe: the init container has already written the file the assistant needs.
func agentReadinessProbe() *corev1.Probe {
	return &corev1.Probe{
		ProbeHandler: corev1.ProbeHandler{Exec: &corev1.ExecAction{
			Command: []string{AgentBinary, "agent", "probe", "--check=ready"},
		}},
		// The probe itself answers in milliseconds; two seconds cover a slow exec.
		TimeoutSeconds: 2,
		PeriodSeconds:  10,
	}
}

// restrictedSecurityContext passes the restricted Pod Security Standard on its own,
// whatever the pod sets. The assistant's user and group are copied so the agent writes
// files as the user that reads them; otherwise the pod-level values apply as they do to
// the assistant. A root user is not copied: it would contradict runAsNonRoot.
func restrictedSecurityContext(assistant *corev1.Container) *corev1.SecurityContext {
	sc := &corev1.SecurityContext{
		Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
		RunAsNonRoot:             ptr.To(true),
		ReadOnlyRootFilesystem:   ptr.To(true),
		AllowPrivilegeEscalation: ptr.To(false),
		SeccompProfile: &corev1.SeccompProfile{
			Type: corev1.SeccompProfileTypeRuntimeDefault,
		},
	}

	own := assistant.SecurityContext
	if own == nil {
		return sc
	}
	if own.RunAsUser != nil && *own.RunAsUser != 0 {
		sc.RunAsUser = ptr.To(*own.RunAsUser)
	}
	if own.RunAsGroup != nil {
		sc.RunAsGroup = ptr.To(*own.RunAsGroup)
	}
	return sc
}

// secretsVolume is the tmpfs the resolved files live in: memory-backed so a secret
// never reaches the node's disk, and capped so a runaway write cannot eat the node.
func secretsVolume(opts Options) corev1.Volume {
	size := opts.SecretsVolumeSize.DeepCopy()
	return corev1.Volume{
		Name: SecretsVolumeName,
		VolumeSource: corev1.VolumeSource{
			EmptyDir: &corev1.EmptyDirVolumeSource{
				Medium:    corev1.StorageMediumMemory,
				SizeLimit: &size,
			},
		},
	}
}
