package vaultconfig

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// FieldError is one invalid setting. Field is the secrets_manager key; Message says
// where it can be set and how to fix it. It never holds the token.
type FieldError struct {
	Field   string
	Message string
}

// Error formats the problem as "secrets_manager.<field>: <message>".
func (e *FieldError) Error() string {
	return "secrets_manager." + e.Field + ": " + e.Message
}

// Validate checks the merged configuration and returns every problem at once, joined
// with errors.Join, each a *FieldError. needTransit says that some reference has a
// transit_key, which makes transit_mount_point required. Token checks are for token
// auth; a caller using another auth method should not call Validate's token check
// (see ValidateWithoutToken).
func (c Config) Validate(needTransit bool) error {
	return c.validate(needTransit, true)
}

// ValidateWithoutToken is Validate for auth methods that obtain the token themselves
// (e.g. Kubernetes auth): a missing token is not a problem.
func (c Config) ValidateWithoutToken(needTransit bool) error {
	return c.validate(needTransit, false)
}

func (c Config) validate(needTransit, needToken bool) error {
	var errs []error
	add := func(field, format string, args ...any) {
		errs = append(errs, &FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
	}

	c.checkType(add)
	c.checkURL(add)
	if needToken {
		c.checkToken(add)
	}
	c.checkSecretsPath(add)
	c.checkMount(add, KeyMountPoint, c.MountPoint, EnvMountPoint, "secret")
	if needTransit || c.Sources[KeyTransitMountPoint] != "" {
		c.checkTransit(add)
	}
	if strings.ContainsAny(c.Namespace, "\x00\r\n") {
		add(KeyNamespace, "contains a line break or NUL%s and cannot be sent to Vault; "+
			"set %s or secrets_manager.namespace to the namespace path, e.g. team-a",
			c.from(KeyNamespace), EnvNamespace)
	}
	return errors.Join(errs...)
}

type addFunc func(field, format string, args ...any)

// from says where a field was set, for messages: " (set by env VAULT_URL)".
func (c Config) from(key string) string {
	if s := c.Sources[key]; s != "" {
		return " (set by " + s + ")"
	}
	return ""
}

func (c Config) checkType(add addFunc) {
	switch {
	case c.Type == "":
		add(KeyType, "no secrets manager: set secrets_manager.type: vault in endpoints.yml "+
			"or SECRET_MANAGER=vault")
	case c.Type != TypeVault:
		add(KeyType, "secrets manager type %q%s is not supported: only vault is, written in "+
			"lower case as Rasa compares it exactly; set it to vault", c.Type, c.from(KeyType))
	}
}

func (c Config) checkURL(add addFunc) {
	fix := "set " + EnvURL + " (or " + EnvHost + ") on the pod or secrets_manager.url in " +
		"endpoints.yml to the Vault address, e.g. http://vault.vault.svc:8200"
	if c.URL == "" {
		add(KeyURL, "missing: %s", fix)
		return
	}

	u, err := url.Parse(c.URL)
	var reason string
	switch {
	case err != nil:
		// The parser's own message quotes the input, which may hold a password in its
		// userinfo, so it is never shown.
		reason = "does not parse as a URL (check the scheme, host and port)"
	case u.Scheme != "http" && u.Scheme != "https":
		reason = "must start with http:// or https://"
	case u.Host == "" || u.Hostname() == "":
		reason = "has no host name"
	}
	if reason != "" {
		add(KeyURL, "%q%s %s: %s", redactURL(c.URL), c.from(KeyURL), reason, fix)
	}
}

func (c Config) checkToken(add addFunc) {
	switch {
	case c.Token == "":
		add(KeyToken, "missing: token auth needs a Vault token; set %s on the pod (from a "+
			"Secret) or secrets_manager.token in endpoints.yml", EnvToken)
	case strings.TrimSpace(c.Token) != c.Token:
		add(KeyToken, "the token%s starts or ends with whitespace (often a newline stored "+
			"in the Secret); store it without", c.from(KeyToken))
	case strings.ContainsAny(c.Token, "\x00\r\n"):
		add(KeyToken, "the token%s contains a line break or NUL and cannot be sent to Vault",
			c.from(KeyToken))
	}
}

func (c Config) checkSecretsPath(add addFunc) {
	p := c.SecretsPath
	var reason string
	switch {
	case strings.TrimSpace(p) == "":
		reason = "is empty"
	case strings.HasPrefix(p, "/"):
		reason = "starts with /"
	case strings.HasPrefix(p, "data/") || strings.HasPrefix(p, c.MountPoint+"/data/"):
		reason = "includes data/ (the KV v2 API adds it)"
	case strings.HasSuffix(p, "/"):
		reason = "ends with /, which names a folder, not a secret"
	case strings.Contains(p, "..") || hasDotSegment(p):
		reason = "contains .. or a . path segment"
	case strings.ContainsAny(p, "\x00\r\n\t?#%"):
		reason = "contains a character that cannot be part of a secret path"
	}
	if reason == "" {
		return
	}
	add(KeySecretsPath, "%q%s %s: it is the secret's path relative to the KV v2 mount "+
		"(mount_point) and must not contain data/, e.g. rasa-secrets for %s/data/rasa-secrets; "+
		"set %s or secrets_manager.secrets_path", p, c.from(KeySecretsPath), reason,
		c.MountPoint, EnvSecretsPath)
}

func (c Config) checkMount(add addFunc, key, value, env, example string) {
	var reason string
	switch {
	case value == "":
		reason = "is empty"
	case strings.Contains(value, "..") || hasDotSegment(value):
		reason = "contains .. or a . path segment"
	case strings.ContainsAny(value, "\x00\r\n\t?#% "):
		reason = "contains a character that cannot be part of a mount path"
	}
	if reason != "" {
		add(key, "%q%s %s: set %s or secrets_manager.%s to the mount's path, e.g. %s",
			value, c.from(key), reason, env, key, example)
	}
}

func (c Config) checkTransit(add addFunc) {
	if c.Sources[KeyTransitMountPoint] == "" {
		add(KeyTransitMountPoint, "missing: a reference has transit_key, so the Transit "+
			"mount is needed; set %s or secrets_manager.transit_mount_point, e.g. transit",
			EnvTransitMountPoint)
		return
	}
	c.checkMount(add, KeyTransitMountPoint, c.TransitMountPoint, EnvTransitMountPoint,
		"transit")
}

// hasDotSegment reports a "." or ".." segment, which would make Vault read another path.
func hasDotSegment(p string) bool {
	for _, s := range strings.Split(p, "/") {
		if s == "." || s == ".." {
			return true
		}
	}
	return false
}
