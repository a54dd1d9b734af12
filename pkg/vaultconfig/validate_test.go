package vaultconfig

import (
	"errors"
	"strings"
	"testing"
)

// valid is a configuration that passes Validate(true); tests change one thing.
func valid() Config {
	c, _ := Merge(map[string]string{"type": "vault", "url": "https://vault.example:8200",
		"transit_mount_point": "transit"}, envOf(map[string]string{EnvToken: "hvs.token"}))
	return c
}

func TestValidateAcceptsAGoodConfig(t *testing.T) {
	if err := valid().Validate(true); err != nil {
		t.Fatalf("Validate: %v", err)
	}
}

func TestValidateNamesTheFieldAndTheFix(t *testing.T) {
	tests := []struct {
		name        string
		change      func(c *Config)
		needTransit bool
		field       string
		says        []string
	}{
		{"a missing type says how to set it", func(c *Config) { c.Type = "" }, false,
			KeyType, []string{"no secrets manager: set secrets_manager.type: vault in " +
				"endpoints.yml or SECRET_MANAGER=vault"}},
		{"another type is named and refused", func(c *Config) { c.Type = "aws" }, false,
			KeyType, []string{`"aws"`, "only vault"}},
		{"a capitalised type is refused as Rasa compares exactly",
			func(c *Config) { c.Type = "Vault" }, false, KeyType,
			[]string{`"Vault"`, "lower case"}},
		{"a missing url names both variables", func(c *Config) { c.URL = "" }, false,
			KeyURL, []string{"missing", "VAULT_URL", "VAULT_HOST", "secrets_manager.url"}},
		{"an unparsable url is refused", func(c *Config) { c.URL = "http://[::1" }, false,
			KeyURL, []string{"does not parse", "VAULT_URL", "VAULT_HOST"}},
		{"a url without scheme is refused", func(c *Config) { c.URL = "vault:8200" }, false,
			KeyURL, []string{"http:// or https://"}},
		{"a url without host is refused", func(c *Config) { c.URL = "http:///v1" }, false,
			KeyURL, []string{"no host"}},
		{"a missing token names both places", func(c *Config) { c.Token = "" }, false,
			KeyToken, []string{"missing", "VAULT_TOKEN", "secrets_manager.token"}},
		{"a token ending in a newline is refused", func(c *Config) { c.Token = "hvs.x\n" },
			false, KeyToken, []string{"whitespace"}},
		{"an empty secrets_path is explained", func(c *Config) { c.SecretsPath = "" }, false,
			KeySecretsPath, []string{"is empty", "relative to the KV v2 mount", "data/"}},
		{"a secrets_path starting with / is explained",
			func(c *Config) { c.SecretsPath = "/rasa-secrets" }, false,
			KeySecretsPath, []string{"starts with /", "relative to the KV v2 mount"}},
		{"a secrets_path with data/ is explained",
			func(c *Config) { c.SecretsPath = "data/rasa-secrets" }, false,
			KeySecretsPath, []string{"data/", "secret/data/rasa-secrets"}},
		{"a secrets_path with the mount and data/ is explained",
			func(c *Config) { c.SecretsPath = "secret/data/rasa-secrets" }, false,
			KeySecretsPath, []string{"includes data/"}},
		{"a secrets_path with .. is refused",
			func(c *Config) { c.SecretsPath = "team/../other" }, false,
			KeySecretsPath, []string{".."}},
		{"an empty mount_point is refused", func(c *Config) { c.MountPoint = "" }, false,
			KeyMountPoint, []string{"is empty", "VAULT_MOUNT_POINT"}},
		{"a missing transit mount is required when a reference needs it",
			func(c *Config) { c.TransitMountPoint = ""; delete(c.Sources, KeyTransitMountPoint) },
			true, KeyTransitMountPoint, []string{"missing", "transit_key",
				"VAULT_TRANSIT_MOUNT_POINT"}},
		{"a namespace with a line break is refused",
			func(c *Config) { c.Namespace = "team-a\nX-Other: 1" }, false,
			KeyNamespace, []string{"line break", "VAULT_NAMESPACE"}},
		{"a transit mount of only slashes is refused",
			func(c *Config) { c.TransitMountPoint = "" }, false,
			KeyTransitMountPoint, []string{"is empty"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := valid()
			c.Sources = cloneMap(c.Sources)
			tt.change(&c)
			err := c.Validate(tt.needTransit)
			if err == nil {
				t.Fatal("Validate succeeded, want an error")
			}
			var fe *FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("error %v is not a *FieldError", err)
			}
			if fe.Field != tt.field {
				t.Errorf("Field = %q, want %q", fe.Field, tt.field)
			}
			if !strings.HasPrefix(err.Error(), "secrets_manager."+tt.field+": ") {
				t.Errorf("error %q does not start with the field", err)
			}
			for _, s := range tt.says {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not say %q", err, s)
				}
			}
			if strings.Contains(err.Error(), "hvs.token") {
				t.Errorf("error %q shows the token", err)
			}
		})
	}
}

func TestValidateReportsEveryProblemAtOnce(t *testing.T) {
	c, _ := Merge(map[string]string{"secrets_path": "/x", "mount_point": "/"}, nil)
	err := c.Validate(true)
	if err == nil {
		t.Fatal("want errors")
	}
	for _, f := range []string{KeyType, KeyURL, KeyToken, KeySecretsPath, KeyMountPoint,
		KeyTransitMountPoint} {
		if !strings.Contains(err.Error(), "secrets_manager."+f+":") {
			t.Errorf("errors do not name %s:\n%v", f, err)
		}
	}
}

func TestValidateWithoutTokenSkipsOnlyTheToken(t *testing.T) {
	c := valid()
	c.Token = ""
	if err := c.ValidateWithoutToken(true); err != nil {
		t.Errorf("ValidateWithoutToken: %v", err)
	}
	c.URL = ""
	if err := c.ValidateWithoutToken(true); err == nil {
		t.Error("ValidateWithoutToken accepted a missing url")
	}
}

func TestValidateSaysWhereTheValueCameFrom(t *testing.T) {
	c, _ := Merge(map[string]string{"type": "vault", "url": "ftp://vault"},
		envOf(map[string]string{EnvToken: "t", EnvSecretsPath: "data/x"}))
	err := c.Validate(false)
	for _, s := range []string{"set by endpoints.yml secrets_manager.url",
		"set by env VAULT_RASA_SECRETS_PATH"} {
		if err == nil || !strings.Contains(err.Error(), s) {
			t.Errorf("error %v does not say %q", err, s)
		}
	}
}

func TestTheTokenNeverShows(t *testing.T) {
	const token = "hvs.CAESIJ-super-secret-token"
	tokens := []string{token, " " + token + "\n", token + "\x00"}
	for _, tok := range tokens {
		for _, from := range []string{"env", "file"} {
			env := map[string]string{EnvURL: "vault:8200", EnvHost: "http://other"}
			section := map[string]string{"type": "Vault", "secrets_path": "/x"}
			if from == "env" {
				env[EnvToken] = tok
			} else {
				section["token"] = tok
			}
			c, warnings := Merge(section, envOf(env))
			texts := append(warnings, c.Redacted())
			if err := c.Validate(true); err != nil {
				texts = append(texts, err.Error())
			}
			if err := c.ValidateWithoutToken(true); err != nil {
				texts = append(texts, err.Error())
			}
			for _, s := range texts {
				if strings.Contains(s, "super-secret") {
					t.Errorf("token (from %s) shows in %q", from, s)
				}
			}
		}
	}
}

func TestRedacted(t *testing.T) {
	c := valid()
	c.URL = "https://user:pass@vault:8200"
	got := c.Redacted()
	for _, s := range []string{`type="vault"`, `url="https://xxxxx@vault:8200"`, "token=<set>",
		`secrets_path="rasa-secrets"`, `mount_point="secret"`, `transit_mount_point="transit"`,
		`namespace=""`} {
		if !strings.Contains(got, s) {
			t.Errorf("Redacted() = %q lacks %q", got, s)
		}
	}
	if strings.Contains(got, "pass") || strings.Contains(got, "hvs.token") {
		t.Errorf("Redacted() = %q shows a secret", got)
	}
	c.Token = ""
	if got := c.Redacted(); !strings.Contains(got, "token=<unset>") {
		t.Errorf("Redacted() = %q, want token=<unset>", got)
	}
}

func cloneMap(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func TestAnUnparsableURLNeverEchoesItsPassword(t *testing.T) {
	for _, raw := range []string{
		"http://admin:Pa55#w0rd@127.0.0.1:8200",
		"http://vault:SuperSecretPw123",
		"http://user:pa/ss?word@host",
	} {
		c := Config{Type: TypeVault, URL: raw, Token: "t", SecretsPath: "p", MountPoint: "secret"}
		err := c.Validate(false)
		if err == nil {
			continue
		}
		for _, part := range []string{"Pa55", "SuperSecretPw123", "pa/ss"} {
			if strings.Contains(err.Error(), part) {
				t.Errorf("Validate(%q) error leaks %q: %v", raw, part, err)
			}
		}
	}
}
