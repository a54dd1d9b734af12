package vault

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/rasa-vault-webhook/rasa-vault-webhook/pkg/vaultconfig"
	"github.com/rasa-vault-webhook/rasa-vault-webhook/test/harness"
)

// realClient builds a Client for v with token.
func realClient(t *testing.T, v *harness.Vault, token string) *Client {
	t.Helper()
	c, err := New(vaultconfig.Config{Type: "vault", URL: v.Addr, Token: token})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

const readRasaSecrets = `path "secret/data/rasa-secrets" { capabilities = ["read"] }`

func TestRealVaultReadsAndClassifies(t *testing.T) {
	v := harness.StartVault(t)
	const password = "pw-PLANTED-9c1d"
	err := v.PutSecret("secret", "rasa-secrets", map[string]any{
		"sql_store_username": "rasa", "sql_store_password": password, "port": 5432,
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := v.WritePolicy("rasa", readRasaSecrets); err != nil {
		t.Fatal(err)
	}
	token, err := v.CreateToken([]string{"rasa"}, time.Hour, true)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	t.Run("a token with read on the path gets every field", func(t *testing.T) {
		got, err := realClient(t, v, token).ReadSecret(ctx, "secret", "rasa-secrets")
		if err != nil {
			t.Fatalf("ReadSecret: %v", err)
		}
		if got.Fields["sql_store_username"] != "rasa" ||
			got.Fields["sql_store_password"] != password || got.Fields["port"] != "5432" {
			t.Errorf("ReadSecret returned wrong values for fields %v", keys(got.Fields))
		}
	})

	t.Run("a missing secret is not found", func(t *testing.T) {
		_, err := realClient(t, v, v.RootToken).ReadSecret(ctx, "secret", "no-such-secret")
		if !errors.Is(err, ErrNotFound) {
			t.Fatalf("err = %v, want ErrNotFound", err)
		}
		if !strings.Contains(err.Error(), "vault kv put -mount=secret no-such-secret") {
			t.Errorf("error %q does not give the put command", err)
		}
		assertNoLeak(t, err.Error(), v.RootToken)
	})

	t.Run("a wrong token is permission denied", func(t *testing.T) {
		const wrong = "hvs.PLANTED-wrong-token"
		_, err := realClient(t, v, wrong).ReadSecret(ctx, "secret", "rasa-secrets")
		if !errors.Is(err, ErrPermissionDenied) {
			t.Fatalf("err = %v, want ErrPermissionDenied", err)
		}
		assertNoLeak(t, err.Error(), wrong, password)
	})

	t.Run("a path outside the policy is permission denied", func(t *testing.T) {
		_, err := realClient(t, v, token).ReadSecret(ctx, "secret", "other")
		if !errors.Is(err, ErrPermissionDenied) {
			t.Fatalf("err = %v, want ErrPermissionDenied", err)
		}
		assertNoLeak(t, err.Error(), token)
	})

	t.Run("a deleted latest version is not found", func(t *testing.T) {
		if err := v.PutSecret("secret", "gone", map[string]any{"a": "b"}); err != nil {
			t.Fatal(err)
		}
		if err := v.DeleteSecret("secret", "gone"); err != nil {
			t.Fatal(err)
		}
		_, err := realClient(t, v, v.RootToken).ReadSecret(ctx, "secret", "gone")
		if !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "deleted") {
			t.Fatalf("err = %v, want ErrNotFound saying the version is deleted", err)
		}
	})
}

func TestRealVaultDecryptsTransitCiphertext(t *testing.T) {
	v := harness.StartVault(t)
	if err := v.EnableTransit("transit"); err != nil {
		t.Fatal(err)
	}
	ciphertext, err := v.TransitEncrypt("transit", "rasa-tracker", "  redis-PLANTED-pw\n")
	if err != nil {
		t.Fatal(err)
	}
	if !IsTransitCiphertext(ciphertext) {
		t.Fatalf("Vault's ciphertext %q does not match IsTransitCiphertext", ciphertext)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	got, err := realClient(t, v, v.RootToken).Decrypt(ctx, "transit", "rasa-tracker", ciphertext)
	if err != nil {
		t.Fatalf("Decrypt: %v", err)
	}
	if got != "redis-PLANTED-pw" {
		t.Errorf("Decrypt returned %d bytes, want the trimmed 16-byte plaintext", len(got))
	}

	_, err = realClient(t, v, v.RootToken).Decrypt(ctx, "transit", "other-key", ciphertext)
	if err == nil {
		t.Fatal("Decrypt with a key that does not exist succeeded")
	}
	assertNoLeak(t, err.Error(), v.RootToken, "redis-PLANTED-pw")
}

func TestRealVaultRenewsAShortLivedToken(t *testing.T) {
	v := harness.StartVault(t)
	token, err := v.CreateToken(nil, 3*time.Second, true)
	if err != nil {
		t.Fatal(err)
	}
	c := realClient(t, v, token)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	info, err := c.LookupSelf(ctx)
	if err != nil {
		t.Fatalf("LookupSelf: %v", err)
	}
	if !info.NeedsRenewal() || info.TTL > 3*time.Second || info.CreationTTL != 3*time.Second {
		t.Fatalf("LookupSelf = %+v, want a renewable token with a 3s TTL", info)
	}

	// Renew on Rasa's schedule for about twice the original TTL; without the renewals the
	// token would be dead by the end.
	deadline := time.Now().Add(6 * time.Second)
	ttl, renewals := info.TTL, 0
	for time.Now().Before(deadline) {
		time.Sleep(RenewDelay(ttl))
		if ttl, err = c.RenewSelf(ctx); err != nil {
			t.Fatalf("renewal %d: %v", renewals+1, err)
		}
		renewals++
		if ttl <= 0 || ttl > 3*time.Second {
			t.Fatalf("renewal %d granted %s, want (0, 3s]", renewals, ttl)
		}
	}
	if renewals < 2 {
		t.Errorf("renewed %d times, want at least 2", renewals)
	}
	if _, err := c.LookupSelf(ctx); err != nil {
		t.Errorf("token dead after renewals past its first TTL: %v", err)
	}
}

func TestRealVaultRefusesToRenewARevokedToken(t *testing.T) {
	v := harness.StartVault(t)
	token, err := v.CreateToken(nil, time.Minute, true)
	if err != nil {
		t.Fatal(err)
	}
	if err := v.RevokeToken(token); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	_, err = realClient(t, v, token).RenewSelf(ctx)
	if !errors.Is(err, ErrPermissionDenied) || IsRetryable(err) {
		t.Fatalf("err = %v, want a non-retryable ErrPermissionDenied", err)
	}
	assertNoLeak(t, err.Error(), token, v.RootToken)
}

func TestRealVaultRootTokenIsNotScheduledForRenewal(t *testing.T) {
	v := harness.StartVault(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	info, err := realClient(t, v, v.RootToken).LookupSelf(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.NeedsRenewal() || info.TTL != 0 {
		t.Errorf("root token info = %+v, want TTL 0 and no renewal", info)
	}
}

// keys lists a map's field names, for messages that must not show values.
func keys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}
