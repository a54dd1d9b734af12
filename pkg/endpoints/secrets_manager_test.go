package endpoints

import (
	"reflect"
	"strings"
	"testing"
)

func TestSecretsManagerExpandsOnlyPlainScalars(t *testing.T) {
	in := `secrets_manager:
  type: vault
  url: ${VAULT_HOST}
  token: "${VAULT_TOKEN}"
  secrets_path: 'team/${NOT_EXPANDED}'
  mount_point: !!str ${TAGGED}
  namespace: |
    ${BLOCK}
  transit_mount_point:
`
	doc, err := Parse([]byte(in))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	env := envOf(map[string]string{"VAULT_HOST": "http://vault:8200", "VAULT_TOKEN": "t"})
	got, present, err := doc.SecretsManager(env)
	if err != nil || !present {
		t.Fatalf("SecretsManager present=%v err=%v", present, err)
	}
	want := map[string]string{
		"type": "vault", "url": "http://vault:8200", "token": "${VAULT_TOKEN}",
		"secrets_path": "team/${NOT_EXPANDED}", "mount_point": "${TAGGED}",
		"namespace": "${BLOCK}\n", "transit_mount_point": "",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("SecretsManager =\n%v\nwant\n%v", got, want)
	}
}

func TestSecretsManagerNamesKeyAndVariable(t *testing.T) {
	doc, err := Parse([]byte("secrets_manager:\n  type: vault\n  token: ${VAULT_TOKEN}\n" +
		"  url: http://${VAULT_SERVICE}:8200\n"))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	_, present, err := doc.SecretsManager(envOf(nil))
	if !present || err == nil {
		t.Fatalf("present=%v err=%v, want an error", present, err)
	}
	for _, s := range []string{"secrets_manager.token:", `"VAULT_TOKEN"`,
		"secrets_manager.url:", `"VAULT_SERVICE"`} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error %q does not contain %q", err, s)
		}
	}
}

func TestSecretsManagerSectionShapes(t *testing.T) {
	tests := []struct {
		name        string
		in          string
		wantPresent bool
		wantErr     bool
	}{
		{"no section is absent", "tracker_store: {type: SQL}\n", false, false},
		{"an empty section is absent, as Rasa reads it", "secrets_manager:\n", false, false},
		{"a section reached through an alias is read", "x: &sm {type: vault}\n" +
			"secrets_manager: *sm\n", true, false},
		{"a section that is a single value is an error", "secrets_manager: vault\n",
			true, true},
		{"a list value is an error", "secrets_manager: {url: [a]}\n", true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc, err := Parse([]byte(tt.in))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			_, present, err := doc.SecretsManager(envOf(nil))
			if present != tt.wantPresent || (err != nil) != tt.wantErr {
				t.Errorf("present=%v err=%v, want present=%v error=%v",
					present, err, tt.wantPresent, tt.wantErr)
			}
		})
	}
}
