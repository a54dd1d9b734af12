package agent

import (
	"context"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rasa-vault-webhook/rasa-vault-webhook/test/harness"
)

// rotatedPassword is the password the rotated token must fetch.
const rotatedPassword = "pw-PLANTED-rotated-5f21"

func TestRealVaultAgentAdoptsARotatedTokenFile(t *testing.T) {
	v := harness.StartVault(t)
	oldToken := rasaToken(t, v, sqlFields(), 20*time.Second)
	vol, path := newSecretVolume(t, oldToken)
	logs := &logSink{}
	o := tokenFileAgent(t, v.Addr, path, logs, time.Second)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- Run(ctx, o) }()
	if !waitFor(t, func() bool { return o.Health.Status().Ready }) {
		cancel()
		<-done
		t.FailNow()
	}

	// The operator rotates the Secret: a new token (3s, so that it lives only if the
	// agent renews it), new credentials, and the old token revoked.
	newToken, err := v.CreateToken([]string{"rasa"}, 3*time.Second, true)
	if err != nil {
		t.Fatal(err)
	}
	fields := sqlFields()
	fields["sql_store_password"] = rotatedPassword
	if err := v.PutSecret("secret", "rasa-secrets", fields); err != nil {
		t.Fatal(err)
	}
	if err := vol.swap(newToken + "\n"); err != nil {
		t.Fatal(err)
	}
	if err := v.RevokeToken(oldToken); err != nil {
		t.Fatal(err)
	}
	swapped := time.Now()
	out := filepath.Join(o.OutputDir, "endpoints.yml")
	recovered := waitFor(t, func() bool {
		st := o.Health.Status()
		return st.Ready && st.Healthy &&
			strings.Contains(logs.text(), "token file changed; using the new token") &&
			strings.Contains(readFile(t, out), rotatedPassword)
	})
	if !recovered {
		cancel()
		<-done
		t.Fatalf("not recovered 5s after the rotation; health %+v", o.Health.Status())
	}
	t.Logf("recovered %s after the rotation", time.Since(swapped).Round(time.Millisecond))

	// Outlive the new token's first TTL: it is still alive only if renewed.
	time.Sleep(4 * time.Second)
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
	text := logs.text()
	adopted := strings.Index(text, "token file changed; using the new token")
	if n := strings.Count(text[adopted:], `"msg"="vault token renewed"`); n < 2 {
		t.Errorf("renewed the new token %d times in 4s, want at least 2 for a 3s token", n)
	}
	lookupCtx, lookupCancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer lookupCancel()
	if _, err := v.Client.Auth().Token().LookupWithContext(lookupCtx, newToken); err != nil {
		t.Errorf("the new token died despite the agent: %v", err)
	}
	if st := o.Health.Status(); !st.Ready || !st.Healthy {
		t.Errorf("Health = %+v, want ready and healthy", st)
	}
	assertNoLeak(t, "the logs", text, oldToken, newToken, rotatedPassword, v.RootToken)
}

func TestRealVaultAgentKeepsItsTokenWhenTheFileHoldsGarbage(t *testing.T) {
	v := harness.StartVault(t)
	token := rasaToken(t, v, sqlFields(), time.Hour)
	vol, path := newSecretVolume(t, token)
	const garbage = "hvs.PLANTED-garbage-in-the-secret"
	logs := &logSink{}
	o := tokenFileAgent(t, v.Addr, path, logs, time.Minute)

	// Fake time against the real server: four periodic checks in milliseconds.
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	clock := newFakeClock(2*time.Minute, cancel)
	var once sync.Once
	clock.hook = func(elapsed time.Duration) {
		if elapsed >= 10*time.Second {
			once.Do(func() {
				if err := vol.swap(garbage + "\n"); err != nil {
					t.Error(err)
				}
			})
		}
	}
	o.Clock = clock
	if err := Run(ctx, o); err != nil {
		t.Fatalf("Run: %v", err)
	}

	if n := logs.count(`"path"="` + path + `"`); n != 1 {
		t.Errorf("logged the token file %d times, want one line:\n%s", n, logs.text())
	}
	if !strings.Contains(logs.text(), "vault refused the new token in the token file") {
		t.Error("no log line says Vault refused the file's token")
	}
	if st := o.Health.Status(); !st.Ready || !st.Healthy {
		t.Errorf("Health = %+v, want ready and healthy on the old token", st)
	}
	lookupCtx, lookupCancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer lookupCancel()
	if _, err := v.Client.Auth().Token().LookupWithContext(lookupCtx, token); err != nil {
		t.Errorf("the old token is gone: %v", err)
	}
	assertNoLeak(t, "the logs", logs.text(), token, garbage, v.RootToken)
}

// tokenFileAgent is agent mode against the Vault at addr with the token in the file at
// path, refreshing every interval.
func tokenFileAgent(t *testing.T, addr, path string, logs *logSink,
	interval time.Duration) Options {
	t.Helper()
	o := testOptions(t, sourceDir(t, sample(t, "endpoints-sql.yml")), addr, logs)
	o.LookupEnv = env("VAULT_URL", addr)
	o.Auth = Auth{Method: AuthToken, TokenFile: path}
	o.Once = false
	o.Health = NewHealth()
	o.RefreshInterval = interval
	return o
}
