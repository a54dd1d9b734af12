package agent

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	vaultapi "github.com/hashicorp/vault/api"

	"github.com/rasa-vault-webhook/rasa-vault-webhook/test/harness"
)

// seedWithID writes the SQL secret (with password), the read policy and an orphan
// token with a chosen id, so the same token exists again after a dev server restart.
func seedWithID(t *testing.T, v *harness.Vault, id, password string) {
	t.Helper()
	fields := sqlFields()
	fields["sql_store_password"] = password
	if err := v.PutSecret("secret", "rasa-secrets", fields); err != nil {
		t.Fatal(err)
	}
	if err := v.WritePolicy("rasa",
		`path "secret/data/rasa-secrets" { capabilities = ["read"] }`); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := v.Client.Auth().Token().CreateOrphanWithContext(ctx, &vaultapi.TokenCreateRequest{
		ID: id, Policies: []string{"rasa"}, TTL: "1h"})
	if err != nil {
		t.Fatalf("creating the token with a fixed id: %v", err)
	}
}

// runInBackground starts Run in agent mode and waits until it is ready. stop ends
// the run and returns Run's result; the test's cleanup calls it too.
func runInBackground(t *testing.T, o Options) (stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ch := make(chan error, 1)
	go func() { ch <- Run(ctx, o) }()
	stop = sync.OnceValue(func() error {
		cancel()
		return <-ch
	})
	t.Cleanup(func() { _ = stop() })
	deadline := time.Now().Add(10 * time.Second)
	for !o.Health.Status().Ready {
		if time.Now().After(deadline) {
			t.Fatal("the agent was not ready within 10s")
		}
		time.Sleep(20 * time.Millisecond)
	}
	return stop
}

func TestRealVaultRestartKeepsTheFileAndRecovers(t *testing.T) {
	v := harness.StartVault(t)
	id := "rvw-restart-" + harness.RandomHex(8)
	const rotated = "pw-PLANTED-after-restart-3c1"
	seedWithID(t, v, id, plantedPassword)
	logs := &logSink{}
	o := testOptions(t, sourceDir(t, sample(t, "endpoints-sql.yml")), v.Addr, logs)
	o.LookupEnv = env("VAULT_URL", v.Addr, "VAULT_TOKEN", id)
	o.Once, o.Health, o.RefreshInterval = false, NewHealth(), MinRefreshInterval
	runInBackground(t, o)
	out := filepath.Join(o.OutputDir, "endpoints.yml")

	var downChecks, lost atomic.Int32
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	err := v.Restart(ctx, func() {
		// Vault is down: several refreshes fail meanwhile; the file must stay.
		for range 5 {
			time.Sleep(500 * time.Millisecond) // 2.5 s down: refreshes (1 s) fail
			downChecks.Add(1)
			if data, err := os.ReadFile(out); err != nil ||
				!strings.Contains(string(data), plantedPassword) {
				lost.Add(1)
			}
		}
	})
	if err != nil {
		t.Fatalf("restarting vault: %v", err)
	}
	if lost.Load() > 0 {
		t.Errorf("the resolved file was missing or changed in %d of %d checks while Vault "+
			"was down", lost.Load(), downChecks.Load())
	}
	seedWithID(t, v, id, rotated)

	deadline := time.Now().Add(15 * time.Second)
	for !strings.Contains(readFile(t, out), rotated) {
		if time.Now().After(deadline) {
			t.Fatal("the agent did not pick up the secret from the restarted Vault")
		}
		time.Sleep(50 * time.Millisecond)
	}
	// A refresh may have met the new, empty server before it was seeded and had the
	// token refused; the next successful read looks it up again and clears Health.
	for st := o.Health.Status(); !st.Healthy; st = o.Health.Status() {
		if time.Now().After(deadline) {
			t.Fatalf("Health = %+v, want healthy after the restart", st)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if !strings.Contains(logs.text(), "refreshing the secrets failed; keeping the current files") {
		t.Error("the logs do not show the refreshes that failed while Vault was down")
	}
	assertNoLeak(t, "the logs", logs.text(), id, rotated, v.RootToken)
}

func TestRealVaultRevokeOnExit(t *testing.T) {
	tests := []struct {
		name        string
		once        bool
		wantRevoked bool
	}{
		{"the renewal agent revokes its token when stopped", false, true},
		{"the init container keeps a token given to the pod for the agent", true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := harness.StartVault(t)
			token := rasaToken(t, v, sqlFields(), time.Hour)
			logs := &logSink{}
			o := testOptions(t, sourceDir(t, sample(t, "endpoints-sql.yml")), v.Addr, logs)
			o.LookupEnv = env("VAULT_URL", v.Addr, "VAULT_TOKEN", token)
			o.Once, o.Health, o.RevokeOnExit = tt.once, NewHealth(), true

			if tt.once {
				if err := Run(context.Background(), o); err != nil {
					t.Fatalf("Run: %v", err)
				}
			} else {
				stop := runInBackground(t, o)
				start := time.Now()
				if err := stop(); err != nil {
					t.Errorf("Run = %v, want nil when stopped", err)
				}
				if took := time.Since(start); took > time.Second {
					t.Errorf("stopping took %s, want under a second", took)
				}
			}

			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			_, err := v.Client.Auth().Token().LookupWithContext(ctx, token)
			if revoked := err != nil; revoked != tt.wantRevoked {
				t.Errorf("token revoked = %v (lookup: %v), want %v", revoked, err,
					tt.wantRevoked)
			}
			assertNoLeak(t, "the logs", logs.text(), token, v.RootToken)
		})
	}
}

func TestRealVaultReadsTheTokenFromAFile(t *testing.T) {
	v := harness.StartVault(t)
	token := rasaToken(t, v, sqlFields(), time.Hour)
	file := filepath.Join(t.TempDir(), "vault-token")
	if err := os.WriteFile(file, []byte(token+"\n"), 0o400); err != nil {
		t.Fatal(err)
	}
	logs := &logSink{}
	o := testOptions(t, sourceDir(t, sample(t, "endpoints-sql.yml")), v.Addr, logs)
	o.LookupEnv = env("VAULT_URL", v.Addr, "VAULT_TOKEN", "hvs.PLANTED-stale-env-token")
	o.Auth = Auth{Method: AuthToken, TokenFile: file}

	if err := Run(context.Background(), o); err != nil {
		t.Fatalf("Run: %v", err)
	}
	if !strings.Contains(readFile(t, filepath.Join(o.OutputDir, "endpoints.yml")),
		plantedPassword) {
		t.Error("the file's token did not read the secret")
	}
	if !strings.Contains(logs.text(), "the file wins") {
		t.Error("no warning that the file overrides VAULT_TOKEN")
	}
	assertNoLeak(t, "the logs", logs.text(), token, "hvs.PLANTED-stale-env-token",
		v.RootToken)
}
