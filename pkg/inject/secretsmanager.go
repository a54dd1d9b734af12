package inject

import (
	"fmt"
	"slices"

	corev1 "k8s.io/api/core/v1"

	"github.com/rasa-vault-webhook/rasa-vault-webhook/pkg/endpoints"
)

// vaultType is the only secrets manager type Rasa (and this product) knows.
const vaultType = "vault"

// secretsManagerReview is what the secrets manager configuration tells Mutate.
type secretsManagerReview struct {
	// usedEnv are the variables the secrets_manager section expands with ${VAR}.
	usedEnv  map[string]bool
	problems []string
	warnings []string
}

// reviewSecretsManager checks that a Vault secrets manager is configured, by the
// secrets_manager section or SECRET_MANAGER on the assistant, and that every variable
// the section expands will be set. It never reports a value.
func reviewSecretsManager(
	source endpointsSource, assistant *corev1.Container, settings Settings,
) (review secretsManagerReview) {
	review = secretsManagerReview{usedEnv: map[string]bool{}}
	record := func(name string) (string, bool) {
		review.usedEnv[name] = true
		return "", true
	}

	// With every variable expanded to nothing, whatever text is left was written out.
	literal, present, _ := source.doc.SecretsManager(record)
	if !present && !setsSecretManager(assistant) {
		review.problems = append(review.problems, fmt.Sprintf("%s: %s has no %s section and "+
			"container %q sets no %s, so no Vault is configured: add %s: with type: %s, "+
			"or set %s=%s on the container", source.where, endpoints.FileName,
			endpoints.SectionSecretsManager, clip(assistant.Name), EnvSecretManager,
			endpoints.SectionSecretsManager, vaultType, EnvSecretManager, vaultType))
	}
	if literal["token"] != "" {
		review.warnings = append(review.warnings, literalTokenWarning(source.where))
	}

	section, _, err := source.doc.SecretsManager(agentEnvLookup(assistant, settings))
	for _, e := range splitErrors(err) {
		review.problems = append(review.problems, fmt.Sprintf("%s: %s: %v (looked up in "+
			"the env of container %q)", source.where, endpoints.FileName, e, clip(assistant.Name)))
	}

	kind := section["type"]
	from := fmt.Sprintf("%s: %s secrets_manager.type", source.where, endpoints.FileName)
	if v, ok := envLookup(assistant)(EnvSecretManager); ok && v != "" {
		if kind != "" && kind != v {
			review.warnings = append(review.warnings, fmt.Sprintf("%s %q is overridden "+
				"by %s=%q on container %q (the environment wins, as in Rasa): remove one "+
				"of them", from, kind, EnvSecretManager, v, clip(assistant.Name)))
		}
		kind, from = v, fmt.Sprintf("%s on container %q", EnvSecretManager, clip(assistant.Name))
	}
	if kind != "" && kind != vaultType {
		review.problems = append(review.problems, fmt.Sprintf("%s: the secrets manager "+
			"type is not %q: %q is the only type Rasa supports, set it there",
			from, vaultType, vaultType))
	}
	return review
}

// agentEnvLookup is envLookup for the injected containers: the assistant's env plus
// VAULT_TOKEN when AnnotationTokenSecret gives the token, with a value unknown here. The
// token then comes from the mounted file, and the injected containers get VAULT_TOKEN
// (empty) only when secrets_manager expands it; either way a token will be present.
func agentEnvLookup(assistant *corev1.Container, settings Settings) func(string) (string, bool) {
	lookup := envLookup(assistant)
	return func(name string) (string, bool) {
		if name == envVaultToken && settings.TokenSecret != nil {
			return "", true
		}
		return lookup(name)
	}
}

// literalTokenWarning explains why secrets_manager.token should come from the env.
func literalTokenWarning(where string) string {
	return fmt.Sprintf("%s: %s secrets_manager.token is written out in the ConfigMap, "+
		"where anyone who can read ConfigMaps can read it (a quoted ${VAR} is not "+
		"expanded either): write token: ${VAULT_TOKEN} unquoted and set VAULT_TOKEN "+
		"from a Secret", where, endpoints.FileName)
}

// movedEnvWarnings warns about secrets manager variables the assistant keeps because
// its resolved endpoints.yml still expands them, and about a literal VAULT_TOKEN.
func movedEnvWarnings(
	source endpointsSource, assistant *corev1.Container, split envSplit, uses []envUse,
) (warnings []string) {
	for _, e := range assistant.Env {
		if e.Name == envVaultToken && e.ValueFrom == nil && e.Value != "" {
			warnings = append(warnings, fmt.Sprintf("container %q sets VAULT_TOKEN as a "+
				"literal value, which anyone who can read the pod can read: use "+
				"valueFrom.secretKeyRef", clip(assistant.Name)))
			break
		}
	}

	warned := map[string]bool{}
	for _, use := range uses {
		if warned[use.Name] || !slices.Contains(split.shared, use.Name) {
			continue
		}
		warned[use.Name] = true
		consequence := "the assistant sees a Vault setting it no longer needs"
		if use.Name == EnvSecretManager {
			consequence = "Rasa will start its own secrets manager and contact Vault"
		}
		warnings = append(warnings, fmt.Sprintf("%s: %s %s expands ${%s}, so %s stays on "+
			"container %q as well as going to the injected containers, and %s: give that "+
			"value a variable name outside SECRET_MANAGER and VAULT_*", source.where,
			endpoints.FileName, use.Field, use.Name, use.Name, clip(assistant.Name), consequence))
	}

	if len(assistant.EnvFrom) > 0 {
		warnings = append(warnings, fmt.Sprintf("container %q uses envFrom: a "+
			"SECRET_MANAGER or VAULT_* variable from there stays with the assistant, which "+
			"would then contact Vault itself, and never reaches the injected containers: "+
			"list those variables under env instead", clip(assistant.Name)))
	}
	return warnings
}

// splitErrors undoes errors.Join so each error becomes a problem of its own.
func splitErrors(err error) []error {
	if err == nil {
		return nil
	}
	if joined, ok := err.(interface{ Unwrap() []error }); ok {
		return joined.Unwrap()
	}
	return []error{err}
}
