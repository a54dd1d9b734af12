package endpoints

import (
	"slices"
	"testing"
)

func TestEnvUsesOutsideSecretsManager(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		want []EnvUse
	}{
		{name: "plain scalars in any section are found with their field",
			yaml: "action_endpoint:\n  url: ${VAULT_URL}/x\nlock_store:\n  hosts:\n" +
				"    - ${A}\n    - ${B}-${C}\n",
			want: []EnvUse{{"VAULT_URL", "action_endpoint.url"}, {"A", "lock_store.hosts[0]"},
				{"B", "lock_store.hosts[1]"}, {"C", "lock_store.hosts[1]"}}},
		{name: "secrets_manager is skipped",
			yaml: "secrets_manager:\n  token: ${VAULT_TOKEN}\n", want: nil},
		{name: "quoted and block scalars are not expanded by Rasa, so are skipped",
			yaml: "a:\n  b: \"${X}\"\n  c: '${Y}'\n  d: |\n    ${Z}\n", want: nil},
		{name: "a scalar without braces is not expanded at all",
			yaml: "a:\n  b: $HOME\n", want: nil},
		{name: "an empty file has none", yaml: "", want: nil},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc, err := Parse([]byte(tt.yaml))
			if err != nil {
				t.Fatal(err)
			}
			got := doc.EnvUsesOutsideSecretsManager()
			if !slices.Equal(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}
