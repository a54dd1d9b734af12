package inject

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"
)

// What AnnotationTokenSecret adds to the pod: the Secret key as a file, which the
// kubelet replaces when the Secret changes and the agent follows (--token-file). An env
// var would keep the token the container started with until the pod restarts.
const (
	// TokenSecretVolumeName is the Secret volume holding the Vault token file.
	TokenSecretVolumeName = "rvw-token-secret"
	// TokenSecretDir is where the injected containers, and only they, see
	// TokenSecretVolumeName.
	TokenSecretDir = "/rvw/vault-token"
	// TokenSecretFile is the token's file name inside TokenSecretDir.
	TokenSecretFile = "token"
)

// File modes of the token file. With a pod fsGroup the kubelet gives the file to that
// group, which the injected containers carry, so owner and group suffice; without one
// the file stays root's and the agent, never root, can read it only as "other". Only
// the injected containers mount the volume, so no other container sees it either way.
const (
	tokenSecretModeGroup int32 = 0o440
	tokenSecretModeOther int32 = 0o444
)

// tokenSecretFlags points the agent at the token file when AnnotationTokenSecret is set.
func tokenSecretFlags(s Settings) []string {
	if s.TokenSecret == nil {
		return nil
	}
	return []string{"--token-file=" + TokenSecretDir + "/" + TokenSecretFile}
}

// tokenSecretEnv is VAULT_TOKEN set empty for the injected containers when the
// secrets_manager section expands ${VAULT_TOKEN} and the token comes from the file:
// the agent, like Rasa, stops on an unset variable, and treats an empty token as none,
// so the file's token is used.
func tokenSecretEnv(s Settings, usedBySecretsManager map[string]bool) []corev1.EnvVar {
	if s.TokenSecret == nil || !usedBySecretsManager[envVaultToken] {
		return nil
	}
	return []corev1.EnvVar{{Name: envVaultToken}}
}

// tokenSecretMounts is the read-only mount of the token file for an injected container.
func tokenSecretMounts(s Settings) []corev1.VolumeMount {
	if s.TokenSecret == nil {
		return nil
	}
	return []corev1.VolumeMount{{
		Name: TokenSecretVolumeName, MountPath: TokenSecretDir, ReadOnly: true}}
}

// tokenSecretVolume projects the one key of the token Secret to TokenSecretFile. The
// webhook never reads the Secret; until the Secret and its key exist, the kubelet holds
// the pod in ContainerCreating.
func tokenSecretVolume(pod *corev1.Pod, sel *corev1.SecretKeySelector) corev1.Volume {
	mode := tokenSecretModeOther
	if sc := pod.Spec.SecurityContext; sc != nil && sc.FSGroup != nil {
		mode = tokenSecretModeGroup
	}
	return corev1.Volume{
		Name: TokenSecretVolumeName,
		VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{
			SecretName:  sel.Name,
			Items:       []corev1.KeyToPath{{Key: sel.Key, Path: TokenSecretFile}},
			DefaultMode: ptr.To(mode),
		}},
	}
}
