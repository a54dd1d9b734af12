package inject

import (
	"errors"
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/rasa-vault-webhook/rasa-vault-webhook/pkg/vaultconfig"
)

// unknownValue stands in, during admission, for a variable whose value the webhook
// cannot see (valueFrom, envFrom). A field holding it is not judged.
const unknownValue = "\x00unknown\x00"

// vaultConfigProblems runs the agent's own Vault configuration checks at admission, on
// what the pod spec and endpoints.yml show, so a pod whose init container is certain
// to fail (no Vault address, an ftp:// URL, no token, transit without a mount) is denied
// with the fix instead of crash-looping. Fields fed by a Secret or envFrom, or built
// with $(VAR), are unknown here and left to the agent. The type is checked elsewhere.
func vaultConfigProblems(
	source endpointsSource, assistant *corev1.Container, settings Settings,
) []string {
	lookup := admissionLookup(assistant, settings)
	section, _, err := source.doc.SecretsManager(lookup)
	if err != nil {
		return nil // unset variables are reported by reviewSecretsManager
	}
	cfg, _ := vaultconfig.Merge(section, lookup)

	needTransit := source.needsTransit()
	var verr error
	if settings.AuthMethod == AuthKubernetes {
		verr = cfg.ValidateWithoutToken(needTransit)
	} else {
		verr = cfg.Validate(needTransit)
	}

	var problems []string
	for _, e := range flatten(verr) {
		var fe *vaultconfig.FieldError
		if !errors.As(e, &fe) || fe.Field == vaultconfig.KeyType || unknown(cfg, fe.Field) {
			continue
		}
		problems = append(problems, fmt.Sprintf("%s: %v (checked with the env of "+
			"container %q; the agent would fail on it at start)", source.where, fe,
			assistant.Name))
	}
	return problems
}

// admissionLookup is agentEnvLookup with every value the webhook cannot see, or that
// Kubernetes will still expand, replaced by unknownValue. With AnnotationTokenSecret
// the token is the Secret's file, unknown here whatever the assistant's own env says.
func admissionLookup(assistant *corev1.Container, settings Settings) func(string) (string, bool) {
	lookup := agentEnvLookup(assistant, settings)
	return func(name string) (string, bool) {
		if name == envVaultToken && settings.TokenSecret != nil {
			return unknownValue, true
		}
		v, ok := lookup(name)
		if !ok {
			return "", false
		}
		if v == "" && !literalEnv(assistant, name) || strings.Contains(v, "$(") {
			return unknownValue, true
		}
		return v, true
	}
}

// literalEnv reports whether the last entry named name in the container's env is a
// literal value (possibly empty), rather than valueFrom or something from envFrom.
func literalEnv(c *corev1.Container, name string) bool {
	literal := false
	for _, e := range c.Env {
		if e.Name == name {
			literal = e.ValueFrom == nil
		}
	}
	return literal
}

// unknown reports whether the merged field holds a value the webhook cannot see.
func unknown(cfg vaultconfig.Config, field string) bool {
	values := map[string]string{
		vaultconfig.KeyURL: cfg.URL, vaultconfig.KeyToken: cfg.Token,
		vaultconfig.KeySecretsPath: cfg.SecretsPath, vaultconfig.KeyMountPoint: cfg.MountPoint,
		vaultconfig.KeyTransitMountPoint: cfg.TransitMountPoint,
		vaultconfig.KeyNamespace:         cfg.Namespace,
	}
	return strings.Contains(values[field], unknownValue)
}

// flatten lists the errors errors.Join put together.
func flatten(err error) []error {
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}
