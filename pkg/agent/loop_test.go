package agent

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// runAgent runs agent mode against f under a fake clock for runFor of fake time and
// returns the options used. The run must end by itself when the fake time is up.
func runAgent(t *testing.T, f *fakeVault, runFor time.Duration, logs *logSink,
	adjust func(o *Options, c *fakeClock)) Options {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	clock := newFakeClock(runFor, cancel)
	o := testOptions(t, sourceDir(t, sample(t, "endpoints-sql.yml")), f.URL, logs)
	o.Once = false
	o.Clock = clock
	o.Health = NewHealth()
	if adjust != nil {
		adjust(&o, clock)
	}
	if err := Run(ctx, o); err != nil {
		t.Fatalf("Run in agent mode returned %v, want nil at the end of its context", err)
	}
	if ctx.Err() == nil {
		t.Fatal("Run returned before its context ended")
	}
	if clock.Now().Sub(clock.start) < runFor {
		t.Fatalf("the run ended early (real timeout?) after %s of fake time",
			clock.Now().Sub(clock.start))
	}
	assertNoLeak(t, "the logs", logs.text())
	return o
}

func TestAgentRenewsOnRasasSchedule(t *testing.T) {
	f := newFakeVault(t, sqlFields())
	f.set(func(f *fakeVault) { f.ttl, f.renewable = 20, true })
	logs := &logSink{}
	var clock *fakeClock
	o := runAgent(t, f, time.Minute, logs, func(_ *Options, c *fakeClock) { clock = c })

	_, renewals := f.counts()
	if renewals != 12 {
		t.Errorf("renewals = %d, want 12 (every 20s-15s = 5s for a minute)", renewals)
	}
	for i, w := range clock.recordedWaits() {
		if w != 5*time.Second {
			t.Errorf("wait %d = %s, want 5s", i, w)
		}
	}
	st := o.Health.Status()
	if !st.Ready || !st.Healthy || st.TokenExpiry.IsZero() {
		t.Errorf("Health = %+v, want ready, healthy, with an expiry", st)
	}
}

func TestAgentLeavesANonExpiringTokenAlone(t *testing.T) {
	f := newFakeVault(t, sqlFields())
	logs := &logSink{}
	runAgent(t, f, 11*time.Minute, logs, nil)

	reads, renewals := f.counts()
	if renewals != 0 {
		t.Errorf("renewals = %d, want none for a token without TTL", renewals)
	}
	if reads != 3 {
		t.Errorf("reads = %d, want the first read and two 5-minute refreshes", reads)
	}
	if !strings.Contains(logs.text(), "vault token does not expire") {
		t.Error("logs do not say the token needs no renewal")
	}
}

func TestAgentReportsARefusedRenewalAndKeepsTheFiles(t *testing.T) {
	f := newFakeVault(t, sqlFields())
	f.set(func(f *fakeVault) { f.ttl, f.renewable, f.renewStatus = 20, true, 403 })
	logs := &logSink{}
	o := runAgent(t, f, time.Minute, logs, nil)

	if _, renewals := f.counts(); renewals != 1 {
		t.Errorf("renewals = %d, want one refused attempt and no retry", renewals)
	}
	text := logs.text()
	if !strings.Contains(text, `"msg"="vault token expired"`) ||
		!strings.Contains(text, "vault refused the renewal") {
		t.Errorf("logs lack the expiry error with its reason:\n%s", text)
	}
	st := o.Health.Status()
	if st.Healthy || !strings.Contains(st.Reason, "vault token expired") {
		t.Errorf("Health = %+v, want unhealthy with the reason", st)
	}
	if !strings.Contains(readFile(t, filepath.Join(o.OutputDir, "endpoints.yml")),
		plantedPassword) {
		t.Error("the resolved file was lost")
	}
}

func TestAgentRetriesAFailingRenewalButNeverPastExpiry(t *testing.T) {
	f := newFakeVault(t, sqlFields())
	f.set(func(f *fakeVault) { f.ttl, f.renewable, f.renewStatus = 20, true, 503 })
	logs := &logSink{}
	var clock *fakeClock
	o := runAgent(t, f, time.Minute, logs, func(_ *Options, c *fakeClock) { clock = c })

	_, renewals := f.counts()
	if renewals < 6 {
		t.Errorf("renewals = %d, want retries with backoff and another round later", renewals)
	}
	var elapsed time.Duration
	for _, w := range clock.recordedWaits() {
		elapsed += w
		if elapsed > 20*time.Second && !strings.Contains(logs.text(), "vault token expired") {
			t.Fatal("the agent kept waiting past the token's expiry without calling it expired")
		}
	}
	if st := o.Health.Status(); st.Healthy {
		t.Errorf("Health = %+v, want unhealthy after the token expired", st)
	}
	if n := logs.count(`"msg"="vault token expired"`); n != 1 {
		t.Errorf("expiry logged %d times, want once", n)
	}
}

func TestAgentRewritesOnlyWhenTheSecretChanges(t *testing.T) {
	f := newFakeVault(t, sqlFields())
	const rotated = "pw-PLANTED-rotated-44d0"
	logs := &logSink{}
	var once sync.Once
	var outPath string
	var before os.FileInfo
	o := runAgent(t, f, 3*time.Minute+time.Second, logs, func(o *Options, c *fakeClock) {
		o.RefreshInterval = time.Minute
		outPath = filepath.Join(o.OutputDir, "endpoints.yml")
		c.hook = func(elapsed time.Duration) {
			if elapsed >= 90*time.Second {
				once.Do(func() {
					before, _ = os.Stat(outPath)
					f.set(func(f *fakeVault) { f.fields["sql_store_password"] = rotated })
				})
			}
		}
	})

	got := readFile(t, outPath)
	if !strings.Contains(got, `password: "`+rotated+`"`) {
		t.Error("the rotated password was not written")
	}
	if n := logs.count("secrets changed; files rewritten"); n != 1 {
		t.Errorf("rewrites logged %d times, want exactly 1 of 3 refreshes", n)
	}
	if n := logs.count(`"msg"="secrets unchanged"`); n != 2 {
		t.Errorf("unchanged refreshes logged %d times, want 2", n)
	}
	after, _ := os.Stat(outPath)
	if before == nil || os.SameFile(before, after) {
		t.Error("the file was not replaced by a new one")
	}
	if info, _ := os.Stat(outPath); info.Mode().Perm() != 0o440 {
		t.Errorf("rewritten mode = %v, want 0440", info.Mode().Perm())
	}
	assertNoLeak(t, "the logs", logs.text(), rotated)
	if st := o.Health.Status(); !st.Healthy || !st.Ready {
		t.Errorf("Health = %+v, want healthy", st)
	}
}

func TestAgentMarksARefusedRefreshUnhealthy(t *testing.T) {
	f := newFakeVault(t, sqlFields())
	logs := &logSink{}
	o := runAgent(t, f, 6*time.Minute, logs, func(o *Options, c *fakeClock) {
		c.hook = func(time.Duration) { f.set(func(f *fakeVault) { f.readStatus = 403 }) }
	})
	st := o.Health.Status()
	if st.Healthy || !strings.Contains(st.Reason, "permission denied") {
		t.Errorf("Health = %+v, want unhealthy naming the denial", st)
	}
	assertNoLeak(t, "the health reason", st.Reason)
}

func TestAgentStopsWithinASecondOfCancel(t *testing.T) {
	f := newFakeVault(t, sqlFields())
	f.set(func(f *fakeVault) { f.ttl, f.renewable = 3600, true })
	o := testOptions(t, sourceDir(t, sample(t, "endpoints-sql.yml")), f.URL, &logSink{})
	o.Once = false
	o.Health = NewHealth()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Run(ctx, o) }()

	deadline := time.Now().Add(5 * time.Second)
	for !o.Health.Status().Ready && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	assertStopsWithinASecond(t, cancel, done, "")
}

func TestAgentRenewsOnScheduleWhileARefreshHangs(t *testing.T) {
	tests := []struct {
		name     string
		sample   string
		fields   map[string]any
		hangPath string // the request that hangs from the first refresh on
	}{
		{name: "a hung KV read does not delay the renewals",
			sample: "endpoints-sql.yml", fields: sqlFields(),
			hangPath: "/v1/secret/data/rasa-secrets"},
		{name: "a hung transit decrypt does not delay the renewals",
			sample:   "endpoints-transit-redis.yml",
			fields:   map[string]any{"redis_password": "vault:v1:Zm9vYmFy"},
			hangPath: "/v1/transit/decrypt/rasa-tracker"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeVault(t, tt.fields)
			f.ciphertexts["vault:v1:Zm9vYmFy"] = plantedPassword
			f.set(func(f *fakeVault) { f.ttl, f.renewable = 30, true })
			var mu sync.Mutex
			var renewals []time.Duration
			var hung, renewalsWhileHung int
			hanging, released := make(chan struct{}), make(chan struct{})
			logs := &logSink{}
			o := runAgent(t, f, 61*time.Second, logs, func(o *Options, c *fakeClock) {
				// The fake clock runs ahead as fast as the loop asks: past the first
				// refresh (due at 2 s), hold it until that refresh's request hangs, so
				// the renewals happen while it does.
				c.hook = func(elapsed time.Duration) {
					if elapsed > o.RefreshInterval {
						select {
						case <-hanging:
						case <-time.After(5 * time.Second):
						}
					}
				}
				o.SourceDir = sourceDir(t, sample(t, tt.sample))
				o.LookupEnv = env("VAULT_URL", f.URL, "VAULT_HOST", f.URL,
					"VAULT_TOKEN", plantedToken, "VAULT_RASA_SECRETS_PATH", "rasa-secrets")
				o.RefreshInterval = 2 * time.Second
				f.set(func(f *fakeVault) {
					f.onRenew = func() {
						mu.Lock()
						defer mu.Unlock()
						renewals = append(renewals, c.Now().Sub(c.start))
					}
					f.hold = func(r *http.Request) {
						if r.URL.Path != tt.hangPath {
							return
						}
						mu.Lock()
						hung++
						first := hung == 2 // the first request after the initial resolution
						before := len(renewals)
						mu.Unlock()
						if !first {
							return
						}
						// Read the body first: only then does the server notice the client
						// giving up, which ends r.Context().
						body, _ := io.ReadAll(r.Body)
						r.Body = io.NopCloser(bytes.NewReader(body))
						close(hanging)
						// Hang until the run ends; bounded in case the renewals never come.
						select {
						case <-r.Context().Done():
						case <-time.After(5 * time.Second):
						}
						mu.Lock()
						renewalsWhileHung = len(renewals) - before
						mu.Unlock()
						close(released)
					}
				})
			})

			select { // the handler notices the agent giving up a moment later
			case <-released:
			case <-time.After(5 * time.Second):
				t.Fatal("the hung request never ended")
			}
			mu.Lock()
			defer mu.Unlock()
			if renewalsWhileHung == 0 {
				t.Error("no renewal was attempted while the refresh hung: the refresh " +
					"blocks the renewals")
			}
			if got := secondsList(renewals); !slices.Equal(got, []int{15, 30, 45, 60}) {
				t.Errorf("renewals at %v s, want [15 30 45 60] s (ttl 30 s - 15 s)", got)
			}
			if hung != 2 {
				t.Errorf("%s was requested %d times, want 2: the initial resolution and "+
					"one refresh, never a second refresh beside the hung one", tt.hangPath, hung)
			}
			if n := logs.count(`"msg"="vault token expired"`); n != 0 {
				t.Errorf("the token expired (%d times) although renewal works", n)
			}
			if st := o.Health.Status(); !st.Healthy || !st.Ready {
				t.Errorf("Health = %+v, want ready and healthy", st)
			}
		})
	}
}

func TestAgentStopsWithinASecondWhileARefreshHangs(t *testing.T) {
	f := newFakeVault(t, sqlFields())
	f.set(func(f *fakeVault) { f.ttl, f.renewable = 3600, true })
	hanging := make(chan struct{})
	var once sync.Once
	var reads int
	f.set(func(f *fakeVault) {
		f.hold = func(r *http.Request) {
			if r.URL.Path != "/v1/secret/data/rasa-secrets" {
				return
			}
			f.mu.Lock()
			reads++
			first := reads == 1
			f.mu.Unlock()
			if first {
				return
			}
			once.Do(func() { close(hanging) })
			select { // hang until the agent gives up; bounded
			case <-r.Context().Done():
			case <-time.After(10 * time.Second):
			}
		}
	})
	o := testOptions(t, sourceDir(t, sample(t, "endpoints-sql.yml")), f.URL, &logSink{})
	o.Once, o.Health, o.RefreshInterval = false, NewHealth(), MinRefreshInterval
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- Run(ctx, o) }()

	select {
	case <-hanging:
	case <-time.After(5 * time.Second):
		t.Fatal("the first refresh never reached Vault")
	}
	assertStopsWithinASecond(t, cancel, done, " while a refresh hung")
}

// assertStopsWithinASecond cancels Run's context and checks that Run returns nil within a
// second; while names the situation in failure messages.
func assertStopsWithinASecond(t *testing.T, cancel func(), done <-chan error, while string) {
	t.Helper()
	start := time.Now()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run = %v, want nil on cancel", err)
		}
		if elapsed := time.Since(start); elapsed > time.Second {
			t.Errorf("Run took %s to stop%s", elapsed, while)
		}
	case <-time.After(3 * time.Second):
		t.Fatalf("Run did not stop within 3s of cancel%s", while)
	}
}

// TestAgentRevivesATokenVaultKnowsAgain: a Vault that forgot the token (a restarted dev
// server, a restore) refuses its lookup and the agent calls it expired; once Vault
// reads with it again, the agent looks it up, and Health is clear.
func TestAgentRevivesATokenVaultKnowsAgain(t *testing.T) {
	f := newFakeVault(t, sqlFields())
	var original string
	var reads atomic.Int32
	f.set(func(f *fakeVault) {
		original = f.token
		f.hold = func(r *http.Request) {
			if r.URL.Path != "/v1/secret/data/rasa-secrets" {
				return
			}
			switch reads.Add(1) {
			case 2: // the 5-minute refresh: Vault no longer knows the token
				f.set(func(f *fakeVault) { f.token = "someone-else" })
			case 3: // the 10-minute refresh: it does again
				f.set(func(f *fakeVault) { f.token = original })
			}
		}
	})
	logs := &logSink{}
	o := runAgent(t, f, 11*time.Minute, logs, nil)

	text := logs.text()
	if !strings.Contains(text, "vault refused the token lookup") ||
		!strings.Contains(text, "vault token accepted again after it was refused") {
		t.Errorf("logs lack the refusal and the revival:\n%s", text)
	}
	if st := o.Health.Status(); !st.Healthy {
		t.Errorf("Health = %+v, want healthy once Vault knows the token again", st)
	}
}

// TestAgentKeepsATokenWhoseRenewalWasRefusedExpired: reads that still work do not
// revive a token whose renewal Vault refused; Health keeps saying so.
func TestAgentKeepsATokenWhoseRenewalWasRefusedExpired(t *testing.T) {
	f := newFakeVault(t, sqlFields())
	f.set(func(f *fakeVault) { f.ttl, f.renewable, f.renewStatus = 20, true, 403 })
	logs := &logSink{}
	o := runAgent(t, f, 11*time.Minute, logs, nil)

	if reads, _ := f.counts(); reads != 3 {
		t.Errorf("reads = %d, want three that succeed", reads)
	}
	if st := o.Health.Status(); st.Healthy || !strings.Contains(st.Reason, "renewal") {
		t.Errorf("Health = %+v, want still expired by the refused renewal", st)
	}
	if strings.Contains(logs.text(), "accepted again") {
		t.Error("a token whose renewal was refused was revived")
	}
}
