package agent

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rasa-vault-webhook/rasa-vault-webhook/pkg/vault"
	"github.com/rasa-vault-webhook/rasa-vault-webhook/test/harness"
)

// rasaToken writes the SQL secret and returns a token whose policy reads only it.
func rasaToken(t *testing.T, v *harness.Vault, fields map[string]any, ttl time.Duration) string {
	t.Helper()
	if err := v.PutSecret("secret", "rasa-secrets", fields); err != nil {
		t.Fatal(err)
	}
	policy := `path "secret/data/rasa-secrets" { capabilities = ["read"] }
path "transit/decrypt/rasa-tracker" { capabilities = ["update"] }`
	if err := v.WritePolicy("rasa", policy); err != nil {
		t.Fatal(err)
	}
	token, err := v.CreateToken([]string{"rasa"}, ttl, true)
	if err != nil {
		t.Fatal(err)
	}
	return token
}

func TestRealVaultResolvesTheSQLSample(t *testing.T) {
	v := harness.StartVault(t)
	token := rasaToken(t, v, sqlFields(), time.Hour)
	logs := &logSink{}
	o := testOptions(t, sourceDir(t, sample(t, "endpoints-sql.yml")), v.Addr, logs)
	o.LookupEnv = env("VAULT_URL", v.Addr, "VAULT_TOKEN", token)

	if err := Run(context.Background(), o); err != nil {
		t.Fatalf("Run: %v", err)
	}
	got := readFile(t, filepath.Join(o.OutputDir, "endpoints.yml"))
	if !strings.Contains(got, `username: "`+plantedUser+`"`) ||
		!strings.Contains(got, `password: "`+plantedPassword+`"`) {
		t.Error("the resolved file lacks the credentials from Vault")
	}
	assertNoLeak(t, "the logs", logs.text(), token, v.RootToken)
}

func TestRealVaultResolvesTheTransitSample(t *testing.T) {
	v := harness.StartVault(t)
	if err := v.EnableTransit("transit"); err != nil {
		t.Fatal(err)
	}
	ciphertext, err := v.TransitEncrypt("transit", "rasa-tracker", " "+plantedPassword+"\n\n")
	if err != nil {
		t.Fatal(err)
	}
	token := rasaToken(t, v, map[string]any{"redis_password": ciphertext}, time.Hour)
	// The sample sets namespace: team-a; the open-source server ignores the header.
	logs := &logSink{}
	o := testOptions(t, sourceDir(t, sample(t, "endpoints-transit-redis.yml")), v.Addr, logs)
	o.LookupEnv = env("VAULT_HOST", v.Addr, "VAULT_TOKEN", token,
		"VAULT_RASA_SECRETS_PATH", "rasa-secrets")

	if err := Run(context.Background(), o); err != nil {
		t.Fatalf("Run: %v", err)
	}
	got := readFile(t, filepath.Join(o.OutputDir, "endpoints.yml"))
	if !strings.Contains(got, `password: "`+plantedPassword+`"`) {
		t.Error("the resolved file lacks the decrypted, trimmed password")
	}
	if strings.Contains(got, ciphertext) {
		t.Error("the resolved file still holds ciphertext")
	}
	assertNoLeak(t, "the logs", logs.text(), token, v.RootToken)
}

func TestRealVaultFailuresWriteNothing(t *testing.T) {
	v := harness.StartVault(t)
	token := rasaToken(t, v, map[string]any{"sql_store_username": plantedUser,
		"other": plantedPassword}, time.Hour)
	const wrongToken = "hvs.PLANTED-not-a-real-token"

	tests := []struct {
		name    string
		token   string
		wantErr string
		kind    error
	}{
		{"a missing secret_key fails at once", token,
			`secret_key "sql_store_password" (at tracker_store.password) not found in ` +
				`secret/data/rasa-secrets; the secret has fields: other, sql_store_username`, nil},
		{"a wrong token is permission denied", wrongToken,
			"permission denied reading secret/data/rasa-secrets", vault.ErrPermissionDenied},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			logs := &logSink{}
			o := testOptions(t, sourceDir(t, sample(t, "endpoints-sql.yml")), v.Addr, logs)
			o.LookupEnv = env("VAULT_URL", v.Addr, "VAULT_TOKEN", tt.token)

			start := time.Now()
			err := Run(context.Background(), o)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want %q", err, tt.wantErr)
			}
			if tt.kind != nil && !errors.Is(err, tt.kind) {
				t.Errorf("errors.Is(err, %v) = false", tt.kind)
			}
			if time.Since(start) > 3*time.Second {
				t.Errorf("took %s; a non-retryable failure must not retry", time.Since(start))
			}
			mustNotExist(t, filepath.Join(o.OutputDir, "endpoints.yml"))
			msg := readFile(t, o.TerminationMessagePath)
			if !strings.Contains(msg, tt.wantErr) {
				t.Errorf("termination message %q lacks the cause", msg)
			}
			for what, text := range map[string]string{"the error": err.Error(),
				"the termination message": msg, "the logs": logs.text()} {
				assertNoLeak(t, what, text, tt.token, wrongToken, v.RootToken)
			}
		})
	}
}

func TestRealVaultAgentKeepsAShortLivedTokenAlive(t *testing.T) {
	v := harness.StartVault(t)
	token := rasaToken(t, v, sqlFields(), 3*time.Second)
	logs := &logSink{}
	o := testOptions(t, sourceDir(t, sample(t, "endpoints-sql.yml")), v.Addr, logs)
	o.LookupEnv = env("VAULT_URL", v.Addr, "VAULT_TOKEN", token)
	o.Once = false
	o.Health = NewHealth()

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := Run(ctx, o); err != nil {
		t.Fatalf("Run: %v", err)
	}

	if n := logs.count(`"msg"="vault token renewed"`); n < 2 {
		t.Errorf("renewed %d times in 5s, want at least 2 for a 3s token", n)
	}
	// Five seconds after it was created with a 3s TTL, the token lives only if renewed.
	lookupCtx, lookupCancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer lookupCancel()
	if _, err := v.Client.Auth().Token().LookupWithContext(lookupCtx, token); err != nil {
		t.Errorf("the token died despite the agent: %v", err)
	}
	if st := o.Health.Status(); !st.Healthy || !st.Ready {
		t.Errorf("Health = %+v, want ready and healthy", st)
	}
	assertNoLeak(t, "the logs", logs.text(), token, v.RootToken)
}

func TestRealVaultAgentNoticesARevokedToken(t *testing.T) {
	v := harness.StartVault(t)
	token := rasaToken(t, v, sqlFields(), 20*time.Second)
	logs := &logSink{}
	o := testOptions(t, sourceDir(t, sample(t, "endpoints-sql.yml")), v.Addr, logs)
	o.LookupEnv = env("VAULT_URL", v.Addr, "VAULT_TOKEN", token)
	o.Once = false
	o.Health = NewHealth()
	o.RefreshInterval = time.Second

	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Second)
	defer cancel()
	time.AfterFunc(1500*time.Millisecond, func() {
		if err := v.RevokeToken(token); err != nil {
			t.Errorf("revoking: %v", err)
		}
	})
	if err := Run(ctx, o); err != nil {
		t.Fatalf("Run: %v", err)
	}

	st := o.Health.Status()
	if st.Healthy || !strings.Contains(st.Reason, "permission denied") ||
		!strings.Contains(st.Reason, "vault token expired") {
		t.Errorf("Health = %+v, want unhealthy with the token expired", st)
	}
	if !strings.Contains(readFile(t, filepath.Join(o.OutputDir, "endpoints.yml")),
		plantedPassword) {
		t.Error("the resolved file was lost")
	}
	assertNoLeak(t, "the logs", logs.text(), token, v.RootToken)
	assertNoLeak(t, "the health reason", st.Reason, token, v.RootToken)
}

func TestRealVaultCopiesCredentialsThroughTheKubeletLayout(t *testing.T) {
	v := harness.StartVault(t)
	token := rasaToken(t, v, sqlFields(), time.Hour)
	src := kubeletLayout(t, map[string]string{
		"endpoints.yml":   sample(t, "endpoints-sql.yml"),
		"credentials.yml": "rest:\nsocketio:\n  user_message_evt: user_uttered\n",
	})
	logs := &logSink{}
	o := testOptions(t, src, v.Addr, logs)
	o.LookupEnv = env("VAULT_URL", v.Addr, "VAULT_TOKEN", token)
	o.CopyOthers = true

	if err := Run(context.Background(), o); err != nil {
		t.Fatalf("Run: %v", err)
	}
	assertNoLeak(t, "the logs", logs.text(), token, v.RootToken)
	creds := filepath.Join(o.OutputDir, "credentials.yml")
	if got := readFile(t, creds); !strings.Contains(got, "user_uttered") {
		t.Errorf("credentials.yml = %q", got)
	}
	info, err := os.Lstat(creds)
	if err != nil || !info.Mode().IsRegular() || info.Mode().Perm() != 0o440 {
		t.Errorf("credentials.yml is not a regular 0440 file: %v %v", info, err)
	}
	if _, err := os.Lstat(filepath.Join(o.OutputDir, "..data")); !os.IsNotExist(err) {
		t.Error("the ..data symlink was copied")
	}
}
