package vaultconfig

import (
	"reflect"
	"strings"
	"testing"
)

func envOf(vars map[string]string) func(string) (string, bool) {
	return func(name string) (string, bool) {
		v, ok := vars[name]
		return v, ok
	}
}

func (c Config) get(key string) string {
	switch key {
	case KeyType:
		return c.Type
	case KeyURL:
		return c.URL
	case KeyToken:
		return c.Token
	case KeySecretsPath:
		return c.SecretsPath
	case KeyMountPoint:
		return c.MountPoint
	case KeyTransitMountPoint:
		return c.TransitMountPoint
	case KeyNamespace:
		return c.Namespace
	}
	panic("unknown key " + key)
}

func TestMergePrecedenceForEveryField(t *testing.T) {
	type setting struct {
		key, env, def string
	}
	settings := []setting{
		{KeyType, EnvSecretManager, ""},
		{KeyURL, EnvURL, ""},
		{KeyURL, EnvHost, ""},
		{KeyToken, EnvToken, ""},
		{KeySecretsPath, EnvSecretsPath, DefaultSecretsPath},
		{KeyMountPoint, EnvMountPoint, DefaultMountPoint},
		{KeyTransitMountPoint, EnvTransitMountPoint, ""},
		{KeyNamespace, EnvNamespace, ""},
	}
	for _, s := range settings {
		tests := []struct {
			name       string
			section    map[string]string
			env        map[string]string
			want, from string
		}{
			{"a set variable wins over the section",
				map[string]string{s.key: "fromfile"}, map[string]string{s.env: "fromenv"},
				"fromenv", "env " + s.env},
			{"an empty variable leaves the section's value",
				map[string]string{s.key: "fromfile"}, map[string]string{s.env: ""},
				"fromfile", "endpoints.yml secrets_manager." + s.key},
			{"an unset variable leaves the section's value",
				map[string]string{s.key: "fromfile"}, nil,
				"fromfile", "endpoints.yml secrets_manager." + s.key},
			{"the variable alone is enough", nil, map[string]string{s.env: "fromenv"},
				"fromenv", "env " + s.env},
			{"an empty section value counts as unset", map[string]string{s.key: ""}, nil,
				s.def, map[bool]string{true: SourceDefault, false: ""}[s.def != ""]},
			{"nothing set gives the default or nothing", nil, nil,
				s.def, map[bool]string{true: SourceDefault, false: ""}[s.def != ""]},
		}
		for _, tt := range tests {
			t.Run(s.env+"/"+tt.name, func(t *testing.T) {
				c, warnings := Merge(tt.section, envOf(tt.env))
				if got := c.get(s.key); got != tt.want {
					t.Errorf("%s = %q, want %q", s.key, got, tt.want)
				}
				if got := c.Sources[s.key]; got != tt.from {
					t.Errorf("Sources[%s] = %q, want %q", s.key, got, tt.from)
				}
				if len(warnings) != 0 {
					t.Errorf("warnings = %v, want none", warnings)
				}
			})
		}
	}
}

func TestMergeVaultURLAndVaultHost(t *testing.T) {
	tests := []struct {
		name     string
		env      map[string]string
		want     string
		from     string
		warnings []string
	}{
		{"VAULT_HOST alone is used", map[string]string{EnvHost: "http://h:8200"},
			"http://h:8200", "env VAULT_HOST", nil},
		{"VAULT_URL wins over VAULT_HOST, with a warning naming both",
			map[string]string{EnvURL: "http://u:8200", EnvHost: "http://h:8200"},
			"http://u:8200", "env VAULT_URL",
			[]string{"VAULT_URL (http://u:8200)", "VAULT_HOST (http://h:8200)", "using VAULT_URL"}},
		{"the same address in both needs no warning",
			map[string]string{EnvURL: "http://u:8200", EnvHost: "http://u:8200"},
			"http://u:8200", "env VAULT_URL", nil},
		{"an empty VAULT_URL gives way to VAULT_HOST",
			map[string]string{EnvURL: "", EnvHost: "http://h:8200"},
			"http://h:8200", "env VAULT_HOST", nil},
		{"a password in a URL is masked in the warning",
			map[string]string{EnvURL: "http://u:pw-123@u:8200", EnvHost: "http://h:8200"},
			"http://u:pw-123@u:8200", "env VAULT_URL", []string{"xxxxx@u:8200"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, warnings := Merge(map[string]string{KeyURL: "http://file:8200"}, envOf(tt.env))
			if c.URL != tt.want || c.Sources[KeyURL] != tt.from {
				t.Errorf("URL = %q from %q, want %q from %q", c.URL, c.Sources[KeyURL],
					tt.want, tt.from)
			}
			if (len(warnings) > 0) != (len(tt.warnings) > 0) {
				t.Fatalf("warnings = %v, want %v", warnings, tt.warnings)
			}
			for _, w := range tt.warnings {
				if !strings.Contains(warnings[0], w) {
					t.Errorf("warning %q does not contain %q", warnings[0], w)
				}
			}
			if len(warnings) > 0 && strings.Contains(warnings[0], "pw-123") {
				t.Errorf("warning %q shows the URL's password", warnings[0])
			}
		})
	}
}

func TestMergeTrimsSlashesAroundMounts(t *testing.T) {
	c, _ := Merge(map[string]string{KeyMountPoint: "/kv/", KeyTransitMountPoint: "transit/"},
		nil)
	if c.MountPoint != "kv" || c.TransitMountPoint != "transit" {
		t.Errorf("mounts = %q, %q; want kv, transit", c.MountPoint, c.TransitMountPoint)
	}
}

func TestMergeOfTheDocsExample(t *testing.T) {
	section := map[string]string{"type": "vault", "url": "http://localhost:1234",
		"secrets_path": "rasa-secrets", "transit_mount_point": "transit"}
	c, _ := Merge(section, envOf(map[string]string{EnvToken: "t"}))
	want := Config{Type: "vault", URL: "http://localhost:1234", Token: "t",
		SecretsPath: "rasa-secrets", MountPoint: "secret", TransitMountPoint: "transit",
		Sources: map[string]string{
			KeyType:              "endpoints.yml secrets_manager.type",
			KeyURL:               "endpoints.yml secrets_manager.url",
			KeyToken:             "env VAULT_TOKEN",
			KeySecretsPath:       "endpoints.yml secrets_manager.secrets_path",
			KeyMountPoint:        SourceDefault,
			KeyTransitMountPoint: "endpoints.yml secrets_manager.transit_mount_point",
		}}
	if !reflect.DeepEqual(c, want) {
		t.Errorf("Merge =\n%+v\nwant\n%+v", c, want)
	}
	if err := c.Validate(true); err != nil {
		t.Errorf("Validate: %v", err)
	}
	if got := c.SecretPath(); got != "secret/data/rasa-secrets" {
		t.Errorf("SecretPath = %q", got)
	}
}
