package vaultconfig

// The keys of the secrets_manager section, also used as field names in Config.Sources
// and in error messages.
const (
	KeyType              = "type"
	KeyURL               = "url"
	KeyToken             = "token"
	KeySecretsPath       = "secrets_path"
	KeyMountPoint        = "mount_point"
	KeyTransitMountPoint = "transit_mount_point"
	KeyNamespace         = "namespace"
)

// The environment variables Rasa reads (rasa/core/secrets_manager/constants.py), plus
// VAULT_HOST, the name Rasa's documentation uses for the address.
const (
	EnvSecretManager     = "SECRET_MANAGER"
	EnvURL               = "VAULT_URL"
	EnvHost              = "VAULT_HOST"
	EnvToken             = "VAULT_TOKEN"
	EnvSecretsPath       = "VAULT_RASA_SECRETS_PATH"
	EnvMountPoint        = "VAULT_MOUNT_POINT"
	EnvTransitMountPoint = "VAULT_TRANSIT_MOUNT_POINT"
	EnvNamespace         = "VAULT_NAMESPACE"
)

// Rasa's defaults: the secret "rasa-secrets" on the KV v2 mount "secret".
const (
	DefaultSecretsPath = "rasa-secrets"
	DefaultMountPoint  = "secret"
)

// TypeVault is the only secrets manager type Rasa (and this product) supports.
const TypeVault = "vault"

// SourceDefault is the Sources entry of a field filled in with Rasa's default.
const SourceDefault = "default"

// Config is the merged Vault configuration of one assistant.
type Config struct {
	// Type is the secrets manager type; only "vault" is valid.
	Type string
	// URL is the Vault address, e.g. http://vault.vault.svc:8200.
	URL string
	// Token is the Vault token for token auth. Never log it.
	Token string
	// SecretsPath is the KV v2 secret's path relative to the mount, without "data/".
	SecretsPath string
	// MountPoint is the KV v2 mount, without surrounding slashes.
	MountPoint string
	// TransitMountPoint is the Transit mount, needed when a reference has transit_key.
	TransitMountPoint string
	// Namespace is the Vault Enterprise namespace; empty for none.
	Namespace string
	// Sources says where each set field came from, keyed by the Key* names: for example
	// "env VAULT_URL", "endpoints.yml secrets_manager.url" or "default". Fields that
	// were set nowhere have no entry.
	Sources map[string]string
}

// SecretPath is the logical path of the KV v2 secret, "<mount>/data/<secrets_path>",
// for messages (the HTTP path is /v1/ followed by it).
func (c Config) SecretPath() string {
	return c.MountPoint + "/data/" + c.SecretsPath
}
