package vaultconfig

import (
	"strings"
	"testing"
)

// FuzzMerge checks that no section or environment makes Merge or Validate panic, and
// that the token shows in no warning, error or Redacted output. The token carries a
// marker that the other inputs are not allowed to contain, so any occurrence of the
// marker in the output is a leak.
func FuzzMerge(f *testing.F) {
	f.Add("vault", "http://vault:8200", "rasa-secrets", "secret", "transit", "ns",
		"http://other:8200", "abc", true)
	f.Add("Vault", "vault:8200", "/data/x", "/", "", "", "", " tok\n", false)
	f.Add("", "http://[::1", "a/../b", "kv/", "/", "", "http://u:p@h", "", true)

	const marker = "Tm9wZQ-MARKER"
	f.Fuzz(func(t *testing.T, typ, url, path, mount, transit, ns, host, tokenTail string,
		inEnv bool) {
		for _, s := range []string{typ, url, path, mount, transit, ns, host} {
			if strings.Contains(s, "MARKER") {
				return
			}
		}
		token := marker + tokenTail
		section := map[string]string{"type": typ, "url": url, "secrets_path": path,
			"mount_point": mount, "transit_mount_point": transit, "namespace": ns}
		env := map[string]string{EnvHost: host, EnvURL: ns}
		if inEnv {
			env[EnvToken] = token
		} else {
			section["token"] = token
		}

		c, warnings := Merge(section, envOf(env))
		if c.Token != token {
			t.Fatalf("Token was changed by Merge")
		}
		texts := append(warnings, c.Redacted(), c.SecretPath())
		for _, transitNeeded := range []bool{false, true} {
			if err := c.Validate(transitNeeded); err != nil {
				texts = append(texts, err.Error())
			}
			if err := c.ValidateWithoutToken(transitNeeded); err != nil {
				texts = append(texts, err.Error())
			}
		}
		for _, s := range texts {
			if strings.Contains(s, "MARKER") {
				t.Fatalf("the token shows in %q", s)
			}
		}
	})
}
