package agent

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// Tokens a rotated Secret may hold; no log line may contain them.
const (
	rotatedToken = "hvs.PLANTED-rotated-token-8d40"
	refusedToken = "hvs.PLANTED-refused-token-17ce"
)

// secretVolume mounts a token the way the kubelet mounts a Secret key: the file is a
// symlink through ..data into a timestamped directory. swap replaces it as the kubelet
// does on rotation; content "" removes the key.
type secretVolume struct {
	mu    sync.Mutex
	dir   string
	count int
}

func newSecretVolume(t *testing.T, token string) (*secretVolume, string) {
	t.Helper()
	v := &secretVolume{dir: t.TempDir()}
	if err := v.swap(token + "\n"); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join("..data", "token"),
		filepath.Join(v.dir, "token")); err != nil {
		t.Fatal(err)
	}
	return v, filepath.Join(v.dir, "token")
}

// swap writes content into a new timestamped directory and points ..data at it
// atomically (symlink, then rename over the old link), then drops the old directory.
func (v *secretVolume) swap(content string) error {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.count++
	stamp := fmt.Sprintf("..2026_12_04_12_00_%02d.000000001", v.count)
	if err := os.Mkdir(filepath.Join(v.dir, stamp), 0o755); err != nil {
		return err
	}
	if content != "" {
		err := os.WriteFile(filepath.Join(v.dir, stamp, "token"), []byte(content), 0o400)
		if err != nil {
			return err
		}
	}
	old, _ := os.Readlink(filepath.Join(v.dir, "..data"))
	tmp := filepath.Join(v.dir, "..data_tmp")
	if err := os.Symlink(stamp, tmp); err != nil {
		return err
	}
	if err := os.Rename(tmp, filepath.Join(v.dir, "..data")); err != nil {
		return err
	}
	if old != "" {
		return os.RemoveAll(filepath.Join(v.dir, old))
	}
	return nil
}

func TestAgentAdoptsARotatedTokenFileAtThePeriodicCheck(t *testing.T) {
	f := newFakeVault(t, sqlFields())
	vol, path := newSecretVolume(t, plantedToken)
	logs := &logSink{}
	o := runAgent(t, f, time.Minute, logs, func(o *Options, c *fakeClock) {
		o.LookupEnv = env("VAULT_URL", f.URL)
		o.Auth = Auth{Method: AuthToken, TokenFile: path}
		var once sync.Once
		c.hook = func(elapsed time.Duration) {
			if elapsed < 10*time.Second {
				return
			}
			// The old token stays valid: only the periodic check can notice.
			once.Do(func() {
				if err := vol.swap(rotatedToken + "\n"); err != nil {
					t.Error(err)
				}
				f.set(func(f *fakeVault) { f.token = rotatedToken })
			})
			if elapsed >= time.Minute {
				// The refresh after the adoption runs beside the loop: let it reach
				// Vault before the fake clock ends the run.
				waitFor(t, func() bool { reads, _ := f.counts(); return reads >= 2 })
			}
		}
	})

	if n := logs.count(`"msg"="token file changed; using the new token"`); n != 1 {
		t.Errorf("adopted the rotated token %d times, want once", n)
	}
	if !strings.Contains(logs.text(), `"path"="`+path+`"`) {
		t.Error("the adoption log does not name the token file")
	}
	if reads, _ := f.counts(); reads != 2 {
		t.Errorf("reads = %d, want the first and one right after the new token", reads)
	}
	if st := o.Health.Status(); !st.Ready || !st.Healthy {
		t.Errorf("Health = %+v, want ready and healthy", st)
	}
	assertNoLeak(t, "the logs", logs.text(), rotatedToken)
	// The client of the old token closed its idle connection when it was dropped; only
	// the new one's is left.
	if !waitFor(t, func() bool { return f.conns.Load() <= 1 }) {
		t.Errorf("%d connections to Vault are open, want the new client's only",
			f.conns.Load())
	}
}

func TestAgentRereadsTheTokenFileWhenVaultRefusesTheToken(t *testing.T) {
	f := newFakeVault(t, sqlFields())
	f.set(func(f *fakeVault) { f.ttl, f.renewable = 20, true })
	vol, path := newSecretVolume(t, plantedToken)
	logs := &logSink{}
	var renewalsAtSwap int
	// 20s of fake time: the refused renewal at 10s must find the new token, well before
	// the periodic check at 30s could.
	o := runAgent(t, f, 20*time.Second, logs, func(o *Options, c *fakeClock) {
		o.LookupEnv = env("VAULT_URL", f.URL)
		o.Auth = Auth{Method: AuthToken, TokenFile: path}
		var once sync.Once
		c.hook = func(elapsed time.Duration) {
			if elapsed < 7*time.Second {
				return
			}
			once.Do(func() {
				if err := vol.swap(rotatedToken + "\n"); err != nil {
					t.Error(err)
				}
				// The old token is revoked: Vault refuses its next renewal.
				f.set(func(f *fakeVault) {
					f.token, renewalsAtSwap = rotatedToken, f.renewals
				})
			})
			if elapsed >= 15*time.Second {
				// Let the refresh after the adoption, which runs beside the loop,
				// reach Vault before the fake clock ends the run.
				waitFor(t, func() bool { reads, _ := f.counts(); return reads >= 2 })
			}
		}
	})

	if !strings.Contains(logs.text(), `"msg"="vault token expired"`) {
		t.Error("the refused renewal was not noticed")
	}
	if n := logs.count(`"msg"="token file changed; using the new token"`); n != 1 {
		t.Errorf("adopted the rotated token %d times, want once", n)
	}
	if _, renewals := f.counts(); renewals < renewalsAtSwap+2 {
		t.Errorf("renewals = %d (%d before the swap), want renewals to go on with the "+
			"new token", renewals, renewalsAtSwap)
	}
	if st := o.Health.Status(); !st.Ready || !st.Healthy {
		t.Errorf("Health = %+v, want ready and healthy again", st)
	}
	if reads, _ := f.counts(); reads < 2 {
		t.Errorf("reads = %d, want a refresh with the new token", reads)
	}
	assertNoLeak(t, "the logs", logs.text(), rotatedToken)
}

func TestAgentKeepsItsTokenWhenTheTokenFileIsUnusable(t *testing.T) {
	tests := []struct {
		name    string
		content string
		wantMsg string
	}{
		{"a removed key keeps the token", "", "token file unusable"},
		{"an empty file keeps the token", " \n", "is empty"},
		{"garbage keeps the token", "\x00\x01garbage " + refusedToken, "is it a token?"},
		{"a token vault refuses keeps the token", refusedToken + "\n",
			"vault refused the new token in the token file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeVault(t, sqlFields())
			f.set(func(f *fakeVault) { f.ttl, f.renewable = 20, true })
			vol, path := newSecretVolume(t, plantedToken)
			logs := &logSink{}
			// Two minutes: four periodic checks see the same bad file.
			o := runAgent(t, f, 2*time.Minute, logs, func(o *Options, c *fakeClock) {
				o.LookupEnv = env("VAULT_URL", f.URL)
				o.Auth = Auth{Method: AuthToken, TokenFile: path}
				var once sync.Once
				c.hook = func(elapsed time.Duration) {
					if elapsed >= 7*time.Second {
						once.Do(func() {
							if err := vol.swap(tt.content); err != nil {
								t.Error(err)
							}
						})
					}
				}
			})

			if n := logs.count(`"path"="` + path + `"`); n != 1 {
				t.Errorf("logged the token file %d times, want one line:\n%s", n,
					logs.text())
			}
			if !strings.Contains(logs.text(), tt.wantMsg) {
				t.Errorf("no log line says %q", tt.wantMsg)
			}
			if _, renewals := f.counts(); renewals != 24 {
				t.Errorf("renewals = %d, want 24: the old token every 5s", renewals)
			}
			if st := o.Health.Status(); !st.Ready || !st.Healthy {
				t.Errorf("Health = %+v, want ready and healthy", st)
			}
			assertNoLeak(t, "the logs", logs.text(), refusedToken, "\x01garbage")
			// A client built for a refused token leaves no connection behind.
			if !waitFor(t, func() bool { return f.conns.Load() <= 1 }) {
				t.Errorf("%d connections to Vault are open, want the agent's one",
					f.conns.Load())
			}
		})
	}
}

// waitFor polls cond for up to five seconds of real time and reports whether it held;
// a timeout fails the test.
func waitFor(t *testing.T, cond func() bool) bool {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(); {
		if time.Now().After(deadline) {
			t.Error("condition not met within 5s")
			return false
		}
		time.Sleep(5 * time.Millisecond)
	}
	return true
}

func TestAdoptingAFileTokenSchedulesItLikeRasa(t *testing.T) {
	tests := []struct {
		name       string
		ttl        int
		renewable  bool
		wantRenew  time.Duration // after the adoption; 0 means none
		wantExpiry time.Duration // 0 means none
	}{
		{"a 20s renewable token renews 15s before expiry", 20, true, 5 * time.Second,
			20 * time.Second},
		{"a 10s renewable token renews after 1s", 10, true, time.Second, 10 * time.Second},
		{"a non-renewable token is only watched", 20, false, 0, 20 * time.Second},
		{"a token without TTL is left alone", 0, true, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeVault(t, sqlFields())
			f.set(func(f *fakeVault) {
				f.token, f.ttl, f.renewable = rotatedToken, tt.ttl, tt.renewable
			})
			_, path := newSecretVolume(t, rotatedToken)
			logs := &logSink{}
			clock := newFakeClock(time.Hour, nil)
			o := Options{Clock: clock, Health: NewHealth(), LookupEnv: env()}
			a := &agent{o: o, log: newLogger(logs), redact: &redactor{},
				tokenFile: &tokenFile{path: path, inUse: plantedToken}}
			a.cfg.URL = f.URL
			old, err := a.newClient(a.cfg, plantedToken)
			if err != nil {
				t.Fatal(err)
			}
			a.client.Store(old)
			tok := tokenState{dead: true, lookupAt: clock.Now()}
			a.o.Health.tokenDead("vault token expired: test")

			if !a.reloadTokenFile(context.Background(), &tok) {
				t.Fatalf("the rotated token was not adopted:\n%s", logs.text())
			}
			now := clock.Now()
			offset := func(at time.Time) time.Duration {
				if at.IsZero() {
					return 0
				}
				return at.Sub(now)
			}
			if tok.dead || !tok.lookupAt.IsZero() {
				t.Errorf("dead = %t, lookupAt = %s: want alive, no lookup pending",
					tok.dead, tok.lookupAt)
			}
			if got := offset(tok.renewAt); got != tt.wantRenew {
				t.Errorf("renewal in %s, want %s", got, tt.wantRenew)
			}
			if got := offset(tok.expiry); got != tt.wantExpiry {
				t.Errorf("expiry in %s, want %s", got, tt.wantExpiry)
			}
			if got := offset(tok.fileCheckAt); got != tokenFileCheckInterval {
				t.Errorf("next file check in %s, want %s", got, tokenFileCheckInterval)
			}
			if st := a.o.Health.Status(); !st.Healthy {
				t.Errorf("Health = %+v, want healthy", st)
			}
			if a.client.Load() == old {
				t.Error("the client still sends the old token")
			}
			assertNoLeak(t, "the logs", logs.text(), rotatedToken)
		})
	}
}
