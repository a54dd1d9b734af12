package agent

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
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
	start := time.Now()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run = %v, want nil on cancel", err)
		}
		if elapsed := time.Since(start); elapsed > time.Second {
			t.Errorf("Run took %s to stop", elapsed)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("Run did not stop within 3s of cancel")
	}
}
