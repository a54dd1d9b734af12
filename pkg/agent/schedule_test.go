package agent

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// plantedJWT is the service-account token of the fake Kubernetes logins.
const plantedJWT = "jwt-PLANTED-sa-token-0d4e"

// secondsList renders durations as whole seconds for readable failures.
func secondsList(ds []time.Duration) []int {
	out := make([]int, len(ds))
	for i, d := range ds {
		out[i] = int(d / time.Second)
	}
	return out
}

// writeJWT writes plantedJWT to a file as the kubelet projects it and returns the path.
func writeJWT(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(path, []byte(plantedJWT), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestTokenScheduleFollowsEachGrantedTTL(t *testing.T) {
	tests := []struct {
		name       string
		ttl        int   // seconds, at lookup (and at login)
		renewable  bool  // at lookup
		script     []int // TTLs the renewals grant, in order; then ttl
		after      int   // status of renewals once the script is used up; 0 = 200
		kubernetes bool
		runFor     time.Duration
		renewals   []int // seconds since start at which each renewal arrived
		logins     []int // likewise for Kubernetes logins after the first
		expired    bool  // the token ends expired and Health unhealthy
	}{
		{name: "an hour-long token renews fifteen seconds before each expiry",
			ttl: 3600, renewable: true, runFor: 2*time.Hour + time.Second,
			renewals: []int{3585, 7170}},
		{name: "a twenty-second token renews every five seconds",
			ttl: 20, renewable: true, runFor: 31 * time.Second,
			renewals: []int{5, 10, 15, 20, 25, 30}},
		{name: "a ten-second token renews every second",
			ttl: 10, renewable: true, runFor: 5500 * time.Millisecond,
			renewals: []int{1, 2, 3, 4, 5}},
		{name: "a one-second token renews every second",
			ttl: 1, renewable: true, runFor: 5500 * time.Millisecond,
			renewals: []int{1, 2, 3, 4, 5}},
		{name: "a renewal granting a shorter TTL brings the next renewal closer",
			ttl: 60, renewable: true, script: []int{60, 20, 60}, runFor: 150 * time.Second,
			renewals: []int{45, 90, 95, 140}},
		{name: "a token reaching its max TTL renews ever sooner, then is expired",
			ttl: 40, renewable: true, script: []int{30, 20, 10, 5, 1}, after: 403,
			runFor: time.Minute, renewals: []int{25, 40, 45, 46, 47, 48}, expired: true},
		{name: "with kubernetes auth a token capped by its max TTL is replaced by a login",
			ttl: 40, renewable: true, script: []int{30, 20, 10}, kubernetes: true,
			runFor: 100 * time.Second, renewals: []int{25, 40, 45, 70, 95},
			logins: []int{45}},
		{name: "with kubernetes auth a refused renewal leads to a new login",
			ttl: 20, renewable: true, script: []int{20}, after: 403, kubernetes: true,
			runFor: 12 * time.Second, renewals: []int{5, 10}, logins: []int{10}},
		{name: "a non-renewable token is never renewed",
			ttl: 60, runFor: 50 * time.Second},
		{name: "a token that never expires is never renewed",
			ttl: 0, renewable: true, runFor: time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeVault(t, sqlFields())
			f.set(func(f *fakeVault) {
				f.ttl, f.loginTTL, f.renewable = tt.ttl, tt.ttl, tt.renewable
				f.renewTTLs, f.renewAfter = slices.Clone(tt.script), tt.after
			})
			var mu sync.Mutex
			var renewals, logins []time.Duration
			logs := &logSink{}
			o := runAgent(t, f, tt.runFor, logs, func(o *Options, c *fakeClock) {
				since := func(list *[]time.Duration) func() {
					return func() {
						mu.Lock()
						defer mu.Unlock()
						*list = append(*list, c.Now().Sub(c.start))
					}
				}
				f.set(func(f *fakeVault) {
					f.onRenew, f.onLogin = since(&renewals), since(&logins)
				})
				if tt.kubernetes {
					o.LookupEnv = env("VAULT_URL", f.URL)
					o.Auth = Auth{Method: AuthKubernetes, Role: "rasa", TokenPath: writeJWT(t)}
				}
			})

			mu.Lock()
			defer mu.Unlock()
			if got := secondsList(renewals); !slices.Equal(got, tt.renewals) {
				t.Errorf("renewals at %v s, want %v s", got, tt.renewals)
			}
			if tt.kubernetes {
				// The first login is the agent's start, at second 0.
				if got := secondsList(logins); len(got) == 0 || got[0] != 0 ||
					!slices.Equal(got[1:], tt.logins) {
					t.Errorf("logins at %v s, want 0 then %v s", got, tt.logins)
				}
			}
			st := o.Health.Status()
			if st.Healthy == tt.expired {
				t.Errorf("Health = %+v, want healthy %v", st, !tt.expired)
			}
			if got := logs.count(`"msg"="vault token expired"`); tt.expired && got != 1 {
				t.Errorf("expiry logged %d times, want once", got)
			}
			if tt.expired && !strings.Contains(st.Reason, "vault refused the renewal") {
				t.Errorf("Health reason %q does not say why the token expired", st.Reason)
			}
			assertNoLeak(t, "the logs", logs.text(), plantedJWT)
			if !strings.Contains(readFile(t, filepath.Join(o.OutputDir, "endpoints.yml")),
				plantedPassword) {
				t.Error("the resolved file was lost")
			}
		})
	}
}
