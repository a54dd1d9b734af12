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
