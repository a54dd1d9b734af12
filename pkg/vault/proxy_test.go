package vault

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rasa-vault-webhook/rasa-vault-webhook/internal/testpki"
	"github.com/rasa-vault-webhook/rasa-vault-webhook/pkg/vaultconfig"
	"github.com/rasa-vault-webhook/rasa-vault-webhook/test/harness"
)

// recordingProxy forwards to a real Vault and records each request's method, path and
// namespace header.
type recordingProxy struct {
	mu   sync.Mutex
	seen []string // "METHOD /path ns=<header>"
}

func (p *recordingProxy) handler(t *testing.T, target string) http.Handler {
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	rp := httputil.NewSingleHostReverseProxy(u)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		p.seen = append(p.seen, r.Method+" "+r.URL.Path+" ns="+
			r.Header.Get("X-Vault-Namespace"))
		p.mu.Unlock()
		rp.ServeHTTP(w, r)
	})
}

func (p *recordingProxy) requests() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.seen...)
}

// seedForProxy writes a secret holding Transit ciphertext, which it returns, and a
// policy that reads and decrypts it.
func seedForProxy(t *testing.T, v *harness.Vault) (ciphertext string) {
	t.Helper()
	if err := v.EnableTransit("transit"); err != nil {
		t.Fatal(err)
	}
	ct, err := v.TransitEncrypt("transit", "rasa-tracker", "pw-PLANTED-proxy")
	if err != nil {
		t.Fatal(err)
	}
	if err := v.PutSecret("secret", "rasa-secrets", map[string]any{"pw": ct}); err != nil {
		t.Fatal(err)
	}
	policy := readRasaSecrets + "\n" +
		`path "transit/decrypt/rasa-tracker" { capabilities = ["update"] }`
	if err := v.WritePolicy("rasa", policy); err != nil {
		t.Fatal(err)
	}
	return ct
}

// proxyToken is a fresh renewable token with the seeded policy.
func proxyToken(t *testing.T, v *harness.Vault) string {
	t.Helper()
	token, err := v.CreateToken([]string{"rasa"}, time.Minute, true)
	if err != nil {
		t.Fatal(err)
	}
	return token
}

// exercise makes every call the agent makes in a token-auth life.
func exercise(t *testing.T, c *Client, ciphertext string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if _, err := c.ReadSecret(ctx, "secret", "rasa-secrets"); err != nil {
		t.Fatalf("ReadSecret: %v", err)
	}
	if got, err := c.Decrypt(ctx, "transit", "rasa-tracker", ciphertext); err != nil ||
		got != "pw-PLANTED-proxy" {
		t.Fatalf("Decrypt: %v (right value: %v)", err, got == "pw-PLANTED-proxy")
	}
	if _, err := c.LookupSelf(ctx); err != nil {
		t.Fatalf("LookupSelf: %v", err)
	}
	if _, err := c.RenewSelf(ctx); err != nil {
		t.Fatalf("RenewSelf: %v", err)
	}
	if err := c.RevokeSelf(ctx); err != nil {
		t.Fatalf("RevokeSelf: %v", err)
	}
}

func TestRealVaultBehindProxies(t *testing.T) {
	v := harness.StartVault(t)
	ct := seedForProxy(t, v)

	t.Run("every request carries the namespace header", func(t *testing.T) {
		token := proxyToken(t, v)
		p := &recordingProxy{}
		srv := httptest.NewServer(p.handler(t, v.Addr))
		defer srv.Close()
		c, err := New(vaultconfig.Config{URL: srv.URL, Token: token,
			Namespace: "team-a/rasa"})
		if err != nil {
			t.Fatal(err)
		}
		exercise(t, c, ct)

		want := []string{"GET /v1/secret/data/rasa-secrets",
			"PUT /v1/transit/decrypt/rasa-tracker",
			"GET /v1/auth/token/lookup-self", "PUT /v1/auth/token/renew-self",
			"PUT /v1/auth/token/revoke-self"}
		got := p.requests()
		if len(got) != len(want) {
			t.Fatalf("proxy saw %q, want %d requests", got, len(want))
		}
		for i, w := range want {
			if got[i] != w+" ns=team-a/rasa" {
				t.Errorf("request %d = %q, want %q with the namespace", i, got[i], w)
			}
		}
	})

	t.Run("https with a private CA, server name and client certificate", func(t *testing.T) {
		token := proxyToken(t, v)
		ca := testpki.NewCA(t)
		server := ca.Issue(t, "vault.internal", testpki.DNSNames("vault.internal"))
		srv := httptest.NewUnstartedServer((&recordingProxy{}).handler(t, v.Addr))
		srv.TLS = &tls.Config{
			Certificates: []tls.Certificate{server.TLSCertificate(t)},
			ClientAuth:   tls.RequireAndVerifyClientCert,
			ClientCAs:    ca.Pool(),
			MinVersion:   tls.VersionTLS12,
		}
		srv.StartTLS()
		defer srv.Close()
		dir := t.TempDir()
		client := ca.Issue(t, "rvw-agent", testpki.Usage(x509.ExtKeyUsageClientAuth))
		caFile := testpki.WriteFile(t, filepath.Join(dir, "ca.pem"), ca.CertPEM)
		certFile := testpki.WriteFile(t, filepath.Join(dir, "client.pem"), client.Cert)
		keyFile := testpki.WriteFile(t, filepath.Join(dir, "client-key.pem"), client.Key)

		good := TLS{CACert: caFile, ClientCert: certFile, ClientKey: keyFile,
			ServerName: "vault.internal"}
		c, err := New(vaultconfig.Config{URL: srv.URL, Token: token}, WithTLS(good))
		if err != nil {
			t.Fatal(err)
		}
		exercise(t, c, ct)

		for name, bad := range map[string]TLS{
			"no CA": {ClientCert: certFile, ClientKey: keyFile,
				ServerName: "vault.internal"},
			"a wrong server name": {CACert: caFile, ClientCert: certFile, ClientKey: keyFile,
				ServerName: "other.internal"},
		} {
			c, err := New(vaultconfig.Config{URL: srv.URL, Token: token}, WithTLS(bad))
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.ReadSecret(context.Background(), "secret", "rasa-secrets")
			if err == nil || IsRetryable(err) || !strings.Contains(err.Error(), "VAULT_CACERT") {
				t.Errorf("%s: err = %v, want a non-retryable TLS error naming VAULT_CACERT",
					name, err)
			}
		}
		_, err = New(vaultconfig.Config{URL: srv.URL, Token: token},
			WithTLS(TLS{CACert: caFile, ClientCert: certFile}))
		if err == nil || !strings.Contains(err.Error(), "VAULT_CLIENT_KEY") {
			t.Errorf("a client certificate without key: err = %v, want one naming both", err)
		}
	})
}
