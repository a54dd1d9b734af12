package vaultconfig

import (
	"fmt"
	"strings"
)

// field describes one setting: its key, the variables that can set it (first wins),
// its default, and where in Config it goes.
type field struct {
	key  string
	envs []string
	def  string
	set  func(c *Config, v string)
}

var fields = []field{
	{KeyType, []string{EnvSecretManager}, "", func(c *Config, v string) { c.Type = v }},
	// Rasa's code reads VAULT_URL; its docs name VAULT_HOST. Both work here, and
	// VAULT_URL wins, so a setup that works with Rasa keeps the same address.
	{KeyURL, []string{EnvURL, EnvHost}, "", func(c *Config, v string) { c.URL = v }},
	{KeyToken, []string{EnvToken}, "", func(c *Config, v string) { c.Token = v }},
	{KeySecretsPath, []string{EnvSecretsPath}, DefaultSecretsPath,
		func(c *Config, v string) { c.SecretsPath = v }},
	{KeyMountPoint, []string{EnvMountPoint}, DefaultMountPoint,
		func(c *Config, v string) { c.MountPoint = strings.Trim(v, "/") }},
	{KeyTransitMountPoint, []string{EnvTransitMountPoint}, "",
		func(c *Config, v string) { c.TransitMountPoint = strings.Trim(v, "/") }},
	{KeyNamespace, []string{EnvNamespace}, "", func(c *Config, v string) { c.Namespace = v }},
}

// Merge combines the secrets_manager section of endpoints.yml (already ${VAR}-expanded,
// nil when there is none) with the environment, field by field: a non-empty variable
// wins over the section, and an empty value counts as unset. Defaults fill in
// secrets_path and mount_point. Slashes around the mount points are trimmed. The
// warnings are for operators (e.g. VAULT_URL and VAULT_HOST both set and different);
// they never contain the token.
func Merge(section map[string]string, lookupEnv func(string) (string, bool)) (Config, []string) {
	env := func(name string) string {
		if lookupEnv == nil {
			return ""
		}
		v, _ := lookupEnv(name)
		return v
	}

	c := Config{Sources: map[string]string{}}
	for _, f := range fields {
		value, source := "", ""
		for _, name := range f.envs {
			if v := env(name); v != "" {
				value, source = v, "env "+name
				break
			}
		}
		if source == "" && section[f.key] != "" {
			value, source = section[f.key], "endpoints.yml secrets_manager."+f.key
		}
		if source == "" && f.def != "" {
			value, source = f.def, SourceDefault
		}
		if source != "" {
			f.set(&c, value)
			c.Sources[f.key] = source
		}
	}

	var warnings []string
	if u, h := env(EnvURL), env(EnvHost); u != "" && h != "" && u != h {
		warnings = append(warnings, fmt.Sprintf("%s (%s) and %s (%s) are both set and "+
			"differ; using %s, as Rasa does; remove one of them",
			EnvURL, redactURL(u), EnvHost, redactURL(h), EnvURL))
	}
	return c, warnings
}
