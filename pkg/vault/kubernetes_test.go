package vault

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// plantedJWT is the service-account token the login tests present.
const plantedJWT = "jwt-PLANTED-sa-1b9e"

// jwtFile writes content to a temp file and returns its path.
func jwtFile(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestLoginKubernetesUsesTheNewToken(t *testing.T) {
	const issued = "hvs.PLANTED-issued-by-login"
	f := newFakeVault(t, map[string]route{
		"PUT /v1/auth/k8s-team/login": {200, `{"auth":{"client_token":"` + issued +
			`","lease_duration":30,"renewable":true,"policies":["rasa"]}}`},
		"GET /v1/secret/data/rasa-secrets": {200, `{"data":{"data":{"a":"b"}}}`},
	})
	c := newTestClient(t, f.URL, "team-a")
	info, err := c.LoginKubernetes(context.Background(), KubernetesLogin{Role: "rasa",
		Mount: "/k8s-team/", TokenPath: jwtFile(t, plantedJWT+"\n")})
	if err != nil {
		t.Fatalf("LoginKubernetes: %v", err)
	}
	if info.TTL.Seconds() != 30 || !info.Renewable {
		t.Errorf("info = %+v, want a renewable 30s token", info)
	}
	if _, err := c.ReadSecret(context.Background(), "secret", "rasa-secrets"); err != nil {
		t.Fatal(err)
	}

	reqs := f.seen()
	if len(reqs) != 2 {
		t.Fatalf("%d requests, want the login and the read", len(reqs))
	}
	var body struct{ JWT, Role string }
	if err := json.Unmarshal([]byte(f.body(0)), &body); err != nil {
		t.Fatal(err)
	}
	if body.JWT != plantedJWT || body.Role != "rasa" {
		t.Errorf("login body has role %q and a JWT of %d bytes, want role rasa and the "+
			"trimmed file", body.Role, len(body.JWT))
	}
	if got := reqs[0].Header.Get("X-Vault-Token"); got != "" {
		t.Error("the login carried the old token")
	}
	if got := reqs[1].Header.Get("X-Vault-Token"); got != issued {
		t.Error("the read after the login did not carry the issued token")
	}
	for i, r := range reqs {
		if r.Header.Get("X-Vault-Namespace") != "team-a" {
			t.Errorf("request %d (%s) lacks the namespace header", i, r.URL.Path)
		}
	}
}

func TestLoginKubernetesFailsClearly(t *testing.T) {
	f := newFakeVault(t, map[string]route{
		"PUT /v1/auth/kubernetes/login": {403, `{"errors":["permission denied ` +
			plantedJWT + `"]}`},
	})
	big := strings.Repeat("x", maxJWTSize+1)
	tests := []struct {
		name    string
		login   KubernetesLogin
		want    string
		kind    error
		noCalls bool
	}{
		{"a missing role names the flag", KubernetesLogin{TokenPath: jwtFile(t, plantedJWT)},
			"--auth-role", nil, true},
		{"a missing token file says what to mount", KubernetesLogin{Role: "rasa",
			TokenPath: filepath.Join(t.TempDir(), "absent")},
			"does not exist: mount a projected service-account token", nil, true},
		{"an empty token file is refused", KubernetesLogin{Role: "rasa",
			TokenPath: jwtFile(t, "\n")}, "is empty", nil, true},
		{"an oversized token file is refused", KubernetesLogin{Role: "rasa",
			TokenPath: jwtFile(t, big)}, "is larger than", nil, true},
		{"a refused login names what to check", KubernetesLogin{Role: "rasa",
			TokenPath: jwtFile(t, plantedJWT)}, "bound service account names",
			ErrPermissionDenied, false},
		{"an absent mount says how to enable it", KubernetesLogin{Role: "rasa",
			Mount: "nope", TokenPath: jwtFile(t, plantedJWT)},
			"vault auth enable -path=nope kubernetes", ErrNotFound, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := len(f.seen())
			_, err := newTestClient(t, f.URL, "").LoginKubernetes(context.Background(),
				tt.login)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
			if tt.kind != nil && !errors.Is(err, tt.kind) {
				t.Errorf("errors.Is(err, %v) = false", tt.kind)
			}
			if calls := len(f.seen()) - before; tt.noCalls && calls != 0 {
				t.Errorf("%d calls to Vault, want none for a local problem", calls)
			}
			assertNoLeak(t, err.Error(), plantedJWT)
		})
	}
}
