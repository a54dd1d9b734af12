package inject

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
)

// endpointsSource is endpoints.yml as read from the ConfigMap, with the words that
// start every denial about it.
type endpointsSource struct {
	*parsedEndpoints
	// where is e.g. `ConfigMap assistants/support-bot-configmap key "endpoints"`.
	where string
}

// readEndpoints takes endpoints.yml out of cm and parses it, or finds it in
// endpointsMemo when the same text was parsed recently. A missing key and a file that
// does not parse are denials; structural problems are left to the caller, which lists
// them together with its own.
func readEndpoints(cm *corev1.ConfigMap, namespace string, target Target) (
	endpointsSource, error,
) {
	name := fmt.Sprintf("ConfigMap %s/%s", namespace, cm.Name)
	source := endpointsSource{where: fmt.Sprintf("%s key %q", name, target.Key)}

	text, ok := cm.Data[target.Key]
	if !ok {
		return source, deny(missingKey(cm, name, target))
	}
	parsed := endpointsMemo.get(text)
	if parsed.err != nil {
		return source, deny(fmt.Sprintf("%s: %v", source.where, parsed.err))
	}
	source.parsedEndpoints = parsed
	return source, nil
}

// missingKey explains a ConfigMap without the key the mount needs.
func missingKey(cm *corev1.ConfigMap, name string, target Target) string {
	if _, binary := cm.BinaryData[target.Key]; binary {
		return fmt.Sprintf("%s key %q is binaryData: put %s under data as text",
			name, target.Key, EndpointsFile)
	}
	if target.KeyFromItems {
		return fmt.Sprintf("%s has no key %q, which volume %q maps to %s: add the key to "+
			"the ConfigMap or fix the volume's configMap.items",
			name, target.Key, target.VolumeName, target.EndpointsPath)
	}
	return fmt.Sprintf("%s has no key %q, which container %q reads through volume %q: "+
		"add the key to the ConfigMap, or map the right key to %s with configMap.items",
		name, target.Key, target.ContainerName, target.VolumeName, target.EndpointsPath)
}
