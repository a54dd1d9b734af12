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
)

// sqlFields is the secret the SQL sample refers to.
func sqlFields() map[string]any {
	return map[string]any{"sql_store_username": plantedUser,
		"sql_store_password": plantedPassword, "unrelated": "x"}
}

func TestRunResolvesTheSQLSample(t *testing.T) {
	f := newFakeVault(t, sqlFields())
	logs := &logSink{}
	o := testOptions(t, sourceDir(t, sample(t, "endpoints-sql.yml")), f.URL, logs)

	if err := Run(context.Background(), o); err != nil {
		t.Fatalf("Run: %v", err)
	}

	out := filepath.Join(o.OutputDir, "endpoints.yml")
	got := readFile(t, out)
	for _, want := range []string{`username: "` + plantedUser + `"`,
		`password: "` + plantedPassword + `"`, "${REDIS_PASSWORD}", "rasa-actions:5055"} {
		if !strings.Contains(got, want) {
			t.Errorf("resolved file lacks %q", want)
		}
	}
	if strings.Contains(got, "secrets_manager") || strings.Contains(got, "secret_key") {
		t.Error("resolved file still holds the secrets_manager section or a reference")
	}
	if info, _ := os.Stat(out); info.Mode().Perm() != 0o440 {
		t.Errorf("mode = %v, want 0440", info.Mode().Perm())
	}
	mustNotExist(t, o.TerminationMessagePath)
	text := logs.text()
	assertNoLeak(t, "the logs", text)
	for _, want := range []string{`"agent starting"`, `"read vault secret"`,
		`"endpoints file resolved"`, `"references"=2`, `"duration_ms"`} {
		if !strings.Contains(text, want) {
			t.Errorf("logs lack %s", want)
		}
	}
	if strings.Contains(text, "rasa-actions") {
		t.Error("logs show endpoints.yml content")
	}
}

func TestRunDecryptsTransitValuesAndTrimsThem(t *testing.T) {
	f := newFakeVault(t, map[string]any{"redis_password": "vault:v1:Zm9vYmFy"})
	f.ciphertexts["vault:v1:Zm9vYmFy"] = "  " + plantedPassword + "\n"
	logs := &logSink{}
	o := testOptions(t, sourceDir(t, sample(t, "endpoints-transit-redis.yml")), "", logs)
	o.LookupEnv = env("VAULT_HOST", f.URL, "VAULT_TOKEN", plantedToken,
		"VAULT_RASA_SECRETS_PATH", "rasa-secrets")

	if err := Run(context.Background(), o); err != nil {
		t.Fatalf("Run: %v", err)
	}
	got := readFile(t, filepath.Join(o.OutputDir, "endpoints.yml"))
	if !strings.Contains(got, `password: "`+plantedPassword+`"`) {
		t.Error("resolved file lacks the trimmed plaintext")
	}
	assertNoLeak(t, "the logs", logs.text())
}

func TestRunFailsWithoutWritingAnything(t *testing.T) {
	const wrongToken = "hvs.PLANTED-wrong-token"
	badRef := "tracker_store:\n  type: SQL\n  password:\n    source: secrets_manager.vault\n"
	tests := []struct {
		name    string
		yaml    string
		fields  map[string]any
		env     []string
		setup   func(f *fakeVault)
		wantErr []string
		kind    error
	}{
		{name: "a missing secret_key names it, the path and the fields",
			fields: map[string]any{"sql_store_username": plantedUser, "other": plantedPassword},
			wantErr: []string{`secret_key "sql_store_password" (at tracker_store.password) ` +
				`not found in secret/data/rasa-secrets; the secret has fields: other, ` +
				`sql_store_username`}},
		{name: "a wrong token is permission denied",
			env:     []string{"VAULT_TOKEN", wrongToken},
			wantErr: []string{"permission denied reading secret/data/rasa-secrets"},
			kind:    vault.ErrPermissionDenied},
		{name: "a missing secret says how to create it",
			setup:   func(f *fakeVault) { f.readStatus = 404 },
			wantErr: []string{"no secret at secret/data/rasa-secrets"},
			kind:    vault.ErrNotFound},
		{name: "an empty value is never written",
			fields: map[string]any{"sql_store_username": plantedUser, "sql_store_password": ""},
			wantErr: []string{`secret_key "sql_store_password" (at tracker_store.password) ` +
				`is empty`}},
		{name: "a broken reference lists the problem with its line",
			yaml:    badRef,
			wantErr: []string{"line 3: tracker_store.password.secret_key: missing"}},
		{name: "a missing address names the setting",
			env:     []string{"VAULT_URL", ""},
			yaml:    "secrets_manager:\n  type: vault\n" + badRef + "    secret_key: k\n",
			wantErr: []string{"secrets_manager.url: missing"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fields := tt.fields
			if fields == nil {
				fields = sqlFields()
			}
			f := newFakeVault(t, fields)
			if tt.setup != nil {
				f.set(tt.setup)
			}
			yaml := tt.yaml
			if yaml == "" {
				yaml = sample(t, "endpoints-sql.yml")
			}
			logs := &logSink{}
			o := testOptions(t, sourceDir(t, yaml), f.URL, logs)
			if len(tt.env) > 0 {
				o.LookupEnv = env(append([]string{"VAULT_URL", f.URL, "VAULT_TOKEN",
					plantedToken}, tt.env...)...)
			}

			err := Run(context.Background(), o)
			if err == nil {
				t.Fatal("Run succeeded, want an error")
			}
			for _, s := range tt.wantErr {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q lacks %q", err, s)
				}
			}
			if tt.kind != nil && !errors.Is(err, tt.kind) {
				t.Errorf("errors.Is(err, %v) = false", tt.kind)
			}
			mustNotExist(t, filepath.Join(o.OutputDir, "endpoints.yml"))
			msg := readFile(t, o.TerminationMessagePath)
			oneLine := strings.Count(msg, "\n") == 1
			if !oneLine || strings.TrimSpace(msg) != terminationLine(err.Error()) {
				t.Errorf("termination message %q is not the error as one line", msg)
			}
			for what, text := range map[string]string{"the error": err.Error(),
				"the termination message": msg, "the logs": logs.text()} {
				assertNoLeak(t, what, text, wrongToken)
			}
		})
	}
}

func TestRunKeepsAnEarlierFileWhenItFails(t *testing.T) {
	f := newFakeVault(t, sqlFields())
	f.set(func(f *fakeVault) { f.readStatus = 403 })
	logs := &logSink{}
	o := testOptions(t, sourceDir(t, sample(t, "endpoints-sql.yml")), f.URL, logs)
	out := filepath.Join(o.OutputDir, "endpoints.yml")
	if err := os.WriteFile(out, []byte("earlier: \"run\"\n"), 0o440); err != nil {
		t.Fatal(err)
	}

	err := Run(context.Background(), o)
	if err == nil {
		t.Fatal("Run succeeded, want an error")
	}
	assertNoLeak(t, "the error and logs", err.Error()+logs.text())
	if got := readFile(t, out); got != "earlier: \"run\"\n" {
		t.Errorf("the earlier file changed to %q", got)
	}
}

func TestRunGivesUpOnAnUnreachableVaultInBoundedTime(t *testing.T) {
	logs := &logSink{}
	o := testOptions(t, sourceDir(t, sample(t, "endpoints-sql.yml")), closedURL(t), logs)
	o.InitTimeout = 1500 * time.Millisecond

	start := time.Now()
	err := Run(context.Background(), o)
	elapsed := time.Since(start)
	if err == nil || !errors.Is(err, vault.ErrUnreachable) {
		t.Fatalf("err = %v, want ErrUnreachable", err)
	}
	if !strings.Contains(err.Error(), "gave up after") {
		t.Errorf("error %q does not say it gave up", err)
	}
	// The last retry is the last one whose backoff ends before the 1.5s deadline.
	if elapsed < 500*time.Millisecond || elapsed > 1500*time.Millisecond+3*time.Second {
		t.Errorf("Run took %s, want within the 1.5s init timeout plus slack", elapsed)
	}
	assertNoLeak(t, "the error and logs", err.Error()+logs.text())
	if logs.count("vault unreachable; retrying") < 2 {
		t.Errorf("want at least two retries logged, logs:\n%s", logs.text())
	}
	mustNotExist(t, filepath.Join(o.OutputDir, "endpoints.yml"))
}

func TestRunRetriesUntilVaultAnswers(t *testing.T) {
	f := newFakeVault(t, sqlFields())
	f.set(func(f *fakeVault) { f.failReads = 3 })
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	logs := &logSink{}
	o := testOptions(t, sourceDir(t, sample(t, "endpoints-sql.yml")), f.URL, logs)
	clock := newFakeClock(time.Hour, nil)
	o.Clock = clock

	if err := Run(ctx, o); err != nil {
		t.Fatalf("Run: %v", err)
	}
	assertNoLeak(t, "the logs", logs.text())
	if reads, _ := f.counts(); reads != 4 {
		t.Errorf("reads = %d, want 3 failures and 1 success", reads)
	}
	waits := clock.recordedWaits()
	if len(waits) != 3 || waits[0] >= waits[2] {
		t.Errorf("waits = %v, want three growing backoff waits", waits)
	}
}

func TestRunStopsRetryingWhenCanceled(t *testing.T) {
	logs := &logSink{}
	o := testOptions(t, sourceDir(t, sample(t, "endpoints-sql.yml")), closedURL(t), logs)
	o.InitTimeout = time.Minute
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(300*time.Millisecond, cancel)

	start := time.Now()
	err := Run(ctx, o)
	if err == nil || !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want a cancellation", err)
	}
	if elapsed := time.Since(start); elapsed > 2*time.Second {
		t.Errorf("Run took %s after cancel, want well under a second", elapsed)
	}
	assertNoLeak(t, "the error and logs", err.Error()+logs.text())
}

func TestRunCopiesOtherConfigMapFiles(t *testing.T) {
	f := newFakeVault(t, sqlFields())
	src := kubeletLayout(t, map[string]string{
		"endpoints.yml":   sample(t, "endpoints-sql.yml"),
		"credentials.yml": "rest:\n",
	})
	logs := &logSink{}
	o := testOptions(t, src, f.URL, logs)
	o.CopyOthers = true

	if err := Run(context.Background(), o); err != nil {
		t.Fatalf("Run: %v", err)
	}
	assertNoLeak(t, "the logs", logs.text())
	if got := readFile(t, filepath.Join(o.OutputDir, "credentials.yml")); got != "rest:\n" {
		t.Errorf("credentials.yml = %q", got)
	}
	if !strings.Contains(readFile(t, filepath.Join(o.OutputDir, "endpoints.yml")),
		plantedPassword) {
		t.Error("endpoints.yml was not resolved")
	}
	entries, _ := os.ReadDir(o.OutputDir)
	if len(entries) != 2 {
		t.Errorf("output holds %d entries, want endpoints.yml and credentials.yml", len(entries))
	}
}

func TestRunWithoutReferencesNeedsNoVault(t *testing.T) {
	o := testOptions(t, sourceDir(t, "action_endpoint:\n  url: http://a:5055/webhook\n"),
		"", &logSink{})
	o.LookupEnv = env()

	if err := Run(context.Background(), o); err != nil {
		t.Fatalf("Run: %v", err)
	}
	if got := readFile(t, filepath.Join(o.OutputDir, "endpoints.yml")); !strings.Contains(got,
		"http://a:5055/webhook") {
		t.Errorf("output = %q", got)
	}
}

func TestRunOnlyCaresAboutTheFieldsItsReferencesUse(t *testing.T) {
	const nested = "nested-PLANTED-0c4d"
	tests := []struct {
		name    string
		extra   map[string]any
		wantErr string
	}{
		{name: "an object, an array and a null no reference uses are ignored",
			extra: map[string]any{"meta": map[string]any{"owner": nested},
				"tags": []any{nested}, "gone": nil}},
		{name: "a referenced object field fails naming the field, never its value",
			extra: map[string]any{"sql_store_password": map[string]any{"v": nested}},
			wantErr: `secret_key "sql_store_password" (at tracker_store.password) in ` +
				`secret/data/rasa-secrets is a JSON object`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fields := sqlFields()
			for k, v := range tt.extra {
				fields[k] = v
			}
			f := newFakeVault(t, fields)
			logs := &logSink{}
			o := testOptions(t, sourceDir(t, sample(t, "endpoints-sql.yml")), f.URL, logs)

			err := Run(context.Background(), o)
			assertNoLeak(t, "the logs", logs.text(), nested)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("Run = %v, want the file resolved", err)
				}
				got := readFile(t, filepath.Join(o.OutputDir, "endpoints.yml"))
				if !strings.Contains(got, `password: "`+plantedPassword+`"`) {
					t.Error("the resolved file lacks the password")
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Run = %v, want an error containing %q", err, tt.wantErr)
			}
			assertNoLeak(t, "the error", err.Error(), nested)
			mustNotExist(t, filepath.Join(o.OutputDir, "endpoints.yml"))
		})
	}
}
