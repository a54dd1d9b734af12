package inject

import (
	"regexp"
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// EnvSecretManager is the variable that switches Rasa's secrets manager on.
const EnvSecretManager = "SECRET_MANAGER"

// envVaultPrefix starts every other variable Rasa's Vault manager reads.
const envVaultPrefix = "VAULT_"

// isVaultEnv reports whether a variable configures Rasa's secrets manager, and so moves
// from the assistant to the injected containers.
func isVaultEnv(name string) bool {
	return name == EnvSecretManager || strings.HasPrefix(name, envVaultPrefix)
}

// envSplit is the assistant's env divided between the assistant and the agent.
type envSplit struct {
	// kept stays on the assistant: everything but the secrets manager variables.
	kept []corev1.EnvVar
	// agent goes to both injected containers: the moved variables plus copies of those
	// the secrets_manager section names with ${VAR}, in the assistant's order, so a
	// $(VAR) reference between them keeps working.
	agent []corev1.EnvVar
	// moved names the variables taken away from the assistant, without repeats.
	moved []string
	// shared names the secrets manager variables the assistant keeps as well, because
	// endpoints.yml expands them outside secrets_manager.
	shared []string
}

// splitEnv divides env. A secrets manager variable that endpoints.yml expands outside
// secrets_manager (usedElsewhere) goes to the agent and stays on the assistant too,
// because Rasa expands it when it loads the resolved file. The EnvVar objects are
// copied as they are: a value or a valueFrom is never looked at, let alone resolved.
func splitEnv(env []corev1.EnvVar, usedBySecretsManager, usedElsewhere map[string]bool) (
	split envSplit,
) {
	seen := map[string]bool{}
	referenced := referencedByVaultEnv(env)
	for _, e := range env {
		switch {
		case isVaultEnv(e.Name) && usedElsewhere[e.Name]:
			split.agent = append(split.agent, *e.DeepCopy())
			split.kept = append(split.kept, e)
			if !seen[e.Name] {
				seen[e.Name] = true
				split.shared = append(split.shared, e.Name)
			}
		case isVaultEnv(e.Name):
			split.agent = append(split.agent, *e.DeepCopy())
			if !seen[e.Name] {
				seen[e.Name] = true
				split.moved = append(split.moved, e.Name)
			}
		case usedBySecretsManager[e.Name] || referenced[e.Name]:
			split.agent = append(split.agent, *e.DeepCopy())
			split.kept = append(split.kept, e)
		default:
			split.kept = append(split.kept, e)
		}
	}
	return split
}

// envLookup answers ${VAR} lookups for the secrets_manager section from a container's
// env as Kubernetes would set it: a literal value is returned, a valueFrom counts as set
// with an unknown value, and with envFrom any name may be set.
func envLookup(container *corev1.Container) func(string) (string, bool) {
	return func(name string) (string, bool) {
		value, found := "", false
		for _, e := range container.Env {
			if e.Name == name {
				value, found = "", true
				if e.ValueFrom == nil {
					value = e.Value
				}
			}
		}
		if found {
			return value, true
		}
		return "", len(container.EnvFrom) > 0
	}
}

// setsSecretManager reports whether container's env list sets SECRET_MANAGER to
// something, a literal that is not empty or a valueFrom. The last entry counts, as in
// Kubernetes.
func setsSecretManager(container *corev1.Container) bool {
	set := false
	for _, e := range container.Env {
		if e.Name == EnvSecretManager {
			set = e.ValueFrom != nil || e.Value != ""
		}
	}
	return set
}

// dollarRef matches a Kubernetes $(NAME) reference in an env value.
var dollarRef = regexp.MustCompile(`\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)`)

// referencedByVaultEnv names the variables a moved variable's value refers to with
// $(NAME), directly or through another such variable. They are copied to the injected
// containers too: without them, VAULT_URL=http://$(VAULT_SVC):8200 would reach the
// agent unexpanded.
func referencedByVaultEnv(env []corev1.EnvVar) map[string]bool {
	values := map[string]string{}
	for _, e := range env {
		if e.ValueFrom == nil {
			values[e.Name] = e.Value
		}
	}
	need := map[string]bool{}
	var visit func(value string)
	visit = func(value string) {
		for _, m := range dollarRef.FindAllStringSubmatch(value, -1) {
			if name := m[1]; !need[name] && !isVaultEnv(name) {
				need[name] = true
				visit(values[name])
			}
		}
	}
	for _, e := range env {
		if isVaultEnv(e.Name) && e.ValueFrom == nil {
			visit(e.Value)
		}
	}
	return need
}
