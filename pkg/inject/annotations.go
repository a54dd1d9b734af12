package inject

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
)

// AnnotationPrefix starts every annotation this product reads or writes.
const AnnotationPrefix = "rasa-vault-webhook.io/"

// AnnotationInject opts a pod in ("true") or out ("false"). Any other value is a denial,
// so a typo never silently leaves an assistant without its credentials.
const AnnotationInject = AnnotationPrefix + "inject"

// AnnotationConfigMap optionally names the ConfigMap that holds endpoints.yml, for pods
// whose assistant container mounts more than one ConfigMap that could be it.
const AnnotationConfigMap = AnnotationPrefix + "configmap"

// AnnotationContainer optionally names the assistant container, for pods with several
// containers where the webhook cannot tell which one runs Rasa.
const AnnotationContainer = AnnotationPrefix + "container"

// AnnotationStatus is written by the webhook. A pod that already carries it is left
// alone, which keeps injection idempotent when the apiserver reinvokes the webhook.
const AnnotationStatus = AnnotationPrefix + "status"

// AnnotationAuthMethod chooses how the agent logs in to Vault: "token" (VAULT_TOKEN,
// the default) or "kubernetes" (a projected service-account token, audience "vault").
const AnnotationAuthMethod = AnnotationPrefix + "auth-method"

// AnnotationAuthRole is the Vault role of the Kubernetes login; required with
// auth-method "kubernetes".
const AnnotationAuthRole = AnnotationPrefix + "auth-role"

// AnnotationAuthPath is the mount path of Vault's Kubernetes auth method, when it is
// not "kubernetes".
const AnnotationAuthPath = AnnotationPrefix + "auth-path"

// AnnotationTokenSecret names a Secret, as name or name/key (key "token" by default),
// whose value is the Vault token: it is mounted as a file into the injected containers
// only, and the agent follows the file when the Secret is rotated. The webhook never
// reads it.
const AnnotationTokenSecret = AnnotationPrefix + "token-secret"

// AnnotationAgentSidecar set to "false" injects the init container only: the files are
// resolved once and the token is not kept alive.
const AnnotationAgentSidecar = AnnotationPrefix + "agent-sidecar"

// AnnotationRefreshInterval is how often the renewal agent re-reads the secrets, as a
// Go duration such as "5m".
const AnnotationRefreshInterval = AnnotationPrefix + "refresh-interval"

// AnnotationAgentCPURequest overrides the CPU request of each injected container.
const AnnotationAgentCPURequest = AnnotationPrefix + "agent-cpu-request"

// AnnotationAgentMemoryRequest overrides the memory request of each injected container.
const AnnotationAgentMemoryRequest = AnnotationPrefix + "agent-memory-request"

// AnnotationAgentCPULimit overrides the CPU limit of each injected container.
const AnnotationAgentCPULimit = AnnotationPrefix + "agent-cpu-limit"

// AnnotationAgentMemoryLimit overrides the memory limit of each injected container.
const AnnotationAgentMemoryLimit = AnnotationPrefix + "agent-memory-limit"

// AnnotationAgentImage overrides the image of the injected containers for this pod.
const AnnotationAgentImage = AnnotationPrefix + "agent-image"

// Annotations lists every annotation this product reads or writes, in the order of the
// README's table.
var Annotations = []string{
	AnnotationInject, AnnotationConfigMap, AnnotationContainer, AnnotationAuthMethod,
	AnnotationAuthRole, AnnotationAuthPath, AnnotationTokenSecret, AnnotationAgentSidecar,
	AnnotationRefreshInterval, AnnotationAgentCPURequest, AnnotationAgentMemoryRequest,
	AnnotationAgentCPULimit, AnnotationAgentMemoryLimit, AnnotationAgentImage,
	AnnotationStatus,
}

// StatusInjected is the value of AnnotationStatus on a pod the webhook has changed.
const StatusInjected = "injected"

// injectRequested reads AnnotationInject strictly: absent or "false" means no, "true"
// means yes, anything else is a denial naming the annotation.
func injectRequested(pod *corev1.Pod) (bool, error) {
	value, ok := pod.Annotations[AnnotationInject]
	if !ok {
		return false, nil
	}

	switch value {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}

	return false, deny(fmt.Sprintf("annotation %s: value %q is not allowed: set it to "+
		"\"true\" to inject Vault secrets or \"false\" to opt out", AnnotationInject, value))
}
