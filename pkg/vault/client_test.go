package vault

import (
	"context"
	"strings"
	"testing"

	"github.com/rasa-vault-webhook/rasa-vault-webhook/pkg/vaultconfig"
)

func TestNewChecksTheAddress(t *testing.T) {
	tests := []struct {
		name    string
		url     string
		want    string
		wantErr string
	}{
		{"an http address is kept", "http://vault.vault.svc:8200", "http://vault.vault.svc:8200",
			""},
		{"a trailing slash is dropped", "https://vault.example:8200/", "https://vault.example:8200",
			""},
		{"surrounding spaces are dropped", " http://127.0.0.1:8200 ", "http://127.0.0.1:8200", ""},
		{"an empty address is refused", "", "", "is empty"},
		{"a bare host is refused", "vault:8200", "", "not an http(s) URL"},
		{"another scheme is refused", "tcp://vault:8200", "", "not an http(s) URL"},
		{"user info is refused without showing the password", "http://u:PLANTEDpw@vault:8200",
			"", "user info"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := New(vaultconfig.Config{URL: tt.url, Token: plantedToken})
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("New(%q) error = %v, want %q", tt.url, err, tt.wantErr)
				}
				if !strings.Contains(err.Error(), "VAULT_URL") {
					t.Errorf("error %q does not say where to fix it", err)
				}
				assertNoLeak(t, err.Error(), "PLANTEDpw")
				return
			}
			if err != nil {
				t.Fatalf("New(%q): %v", tt.url, err)
			}
			if c.Address() != tt.want {
				t.Errorf("Address() = %q, want %q", c.Address(), tt.want)
			}
		})
	}
}

func TestNewReportsAMissingCAFile(t *testing.T) {
	_, err := New(vaultconfig.Config{URL: "https://vault:8200", Token: plantedToken},
		WithTLS(TLS{CACert: t.TempDir() + "/missing.pem"}))
	if err == nil || !strings.Contains(err.Error(), "VAULT_CACERT") {
		t.Fatalf("err = %v, want one naming VAULT_CACERT", err)
	}
	assertNoLeak(t, err.Error())
}

func TestHTTPSAgainstAPlainPortIsNotRetried(t *testing.T) {
	f := newFakeVault(t, nil)
	addr := strings.Replace(f.URL, "http://", "https://", 1)
	_, err := newTestClient(t, addr, "").ReadSecret(context.Background(), "secret", "x")
	if err == nil || IsRetryable(err) || !strings.Contains(err.Error(), "does not speak TLS") {
		t.Fatalf("err = %v, want a non-retryable error saying the port is not TLS", err)
	}
	assertNoLeak(t, err.Error())
}
