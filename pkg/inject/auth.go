package inject

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"
)

// What the Kubernetes auth method adds to the pod.
const (
	// TokenVolumeName is the projected service-account token for Vault's Kubernetes login.
	TokenVolumeName = "rvw-vault-token"
	// TokenDir is where the injected containers see TokenVolumeName.
	TokenDir = "/var/run/secrets/vault"
	// TokenFile is the token's file name inside TokenDir.
	TokenFile = "token"
	// TokenAudience is the audience of the projected token; Vault's Kubernetes auth role
	// must list it (audience "vault" is the convention of Vault's own docs).
	TokenAudience = "vault"
	// tokenExpirationSeconds is the kubelet's default rotation horizon of one hour; the
	// kubelet refreshes the file well before it ends.
	tokenExpirationSeconds = 3600
)

// envVaultToken is the variable the agent reads the Vault token from.
const envVaultToken = "VAULT_TOKEN"

// authFlags passes the auth annotations to the agent; nothing when none is set, so the
// agent's defaults (token auth from VAULT_TOKEN) apply.
func authFlags(s Settings) []string {
	var flags []string
	if s.AuthMethod != "" {
		flags = append(flags, "--auth-method="+s.AuthMethod)
	}
	if s.AuthRole != "" {
		flags = append(flags, "--auth-role="+s.AuthRole)
	}
	if s.AuthPath != "" {
		flags = append(flags, "--auth-path="+s.AuthPath)
	}
	if s.AuthMethod == AuthKubernetes {
		flags = append(flags, "--sa-token-path="+TokenDir+"/"+TokenFile)
	}
	return flags
}

// tokenVolume is the projected service-account token the Kubernetes login presents,
// bound to the pod and to the audience Vault checks.
func tokenVolume() corev1.Volume {
	return corev1.Volume{
		Name: TokenVolumeName,
		VolumeSource: corev1.VolumeSource{Projected: &corev1.ProjectedVolumeSource{
			Sources: []corev1.VolumeProjection{{
				ServiceAccountToken: &corev1.ServiceAccountTokenProjection{
					Audience:          TokenAudience,
					ExpirationSeconds: ptr.To[int64](tokenExpirationSeconds),
					Path:              TokenFile,
				},
			}},
		}},
	}
}
