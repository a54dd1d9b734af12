package agent

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/go-logr/logr/funcr"
	"github.com/rasa-vault-webhook/rasa-vault-webhook/test/harness"
)

// Planted values: no log line, error or termination message may ever contain them.
const (
	plantedToken    = "hvs.PLANTED-agent-token-51c2"
	plantedUser     = "user-PLANTED-7a1f"
	plantedPassword = "pw-PLANTED-e93b"
)

// logSink captures every log line (verbosity 1 included) for leak checks.
type logSink struct {
	mu    sync.Mutex
	lines []string
}

func newLogger(s *logSink) logr.Logger {
	return funcr.New(func(prefix, args string) {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.lines = append(s.lines, prefix+" "+args)
	}, funcr.Options{Verbosity: 1})
}

func (s *logSink) text() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return strings.Join(s.lines, "\n")
}

// count returns how many lines contain msg.
func (s *logSink) count(msg string) int {
	return strings.Count(s.text(), msg)
}

// assertNoLeak fails when any text contains a planted secret or one of extra.
func assertNoLeak(t *testing.T, what, text string, extra ...string) {
	t.Helper()
	for _, v := range append([]string{plantedToken, plantedUser, plantedPassword}, extra...) {
		if v != "" && strings.Contains(text, v) {
			t.Errorf("%s leaks %q", what, v)
		}
	}
}

// fakeClock advances by exactly the waits the agent asks for and cancels the run once
// its time passes stopAt, so a loop covering minutes runs in milliseconds.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	start  time.Time
	stopAt time.Time
	cancel context.CancelFunc
	waits  []time.Duration
	// hook, when set, runs after each advance with the time elapsed since the start.
	hook func(elapsed time.Duration)
}

func newFakeClock(runFor time.Duration, cancel context.CancelFunc) *fakeClock {
	start := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	return &fakeClock{now: start, start: start, stopAt: start.Add(runFor), cancel: cancel}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.waits = append(c.waits, d)
	now, hook := c.now, c.hook
	if now.After(c.stopAt) && c.cancel != nil {
		c.cancel()
	}
	c.mu.Unlock()
	if hook != nil {
		hook(now.Sub(c.start))
	}
	ch := make(chan time.Time, 1)
	ch <- now
	return ch
}

// recordedWaits returns a copy of the waits asked for so far.
func (c *fakeClock) recordedWaits() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]time.Duration(nil), c.waits...)
}

// fakeVault is a small in-memory Vault: one KV v2 secret, Transit decryption of
// ciphertexts it was told about, and token lookup/renewal with counters.
type fakeVault struct {
	*httptest.Server
	// conns counts the connections clients hold open.
	conns       atomic.Int64
	mu          sync.Mutex
	token       string
	fields      map[string]any
	ciphertexts map[string]string // ciphertext -> plaintext
	ttl         int               // seconds, for lookup and renewal
	renewable   bool
	renewStatus int // answer to renew-self; 0 means 200
	readStatus  int // answer to the KV read; 0 means 200
	failReads   int // this many first KV reads answer 503
	renewals    int
	reads       int
	// renewTTLs, when set, are the TTLs of the next renewals, one each; once they are
	// used up, renewals answer renewAfter (0 means 200 with ttl).
	renewTTLs  []int
	renewAfter int
	// loginTTL is the TTL a Kubernetes login grants; logins counts them and loginJWT
	// is the service-account token the last one carried.
	loginTTL int
	logins   int
	loginJWT string
	// onRenew and onLogin, when set, run as a renewal or login arrives.
	onRenew, onLogin func()
	// hold, when set, runs before a request is served, outside the lock, so it can
	// hang one kind of request while the others are answered.
	hold func(r *http.Request)
}

func newFakeVault(t *testing.T, fields map[string]any) *fakeVault {
	t.Helper()
	f := &fakeVault{token: plantedToken, fields: fields, ciphertexts: map[string]string{}}
	f.Server = httptest.NewUnstartedServer(http.HandlerFunc(f.serve))
	f.Config.ConnState = func(_ net.Conn, state http.ConnState) {
		switch state {
		case http.StateNew:
			f.conns.Add(1)
		case http.StateClosed, http.StateHijacked:
			f.conns.Add(-1)
		}
	}
	f.Start()
	t.Cleanup(f.Close)
	return f
}

func (f *fakeVault) set(fn func(f *fakeVault)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fn(f)
}

func (f *fakeVault) counts() (reads, renewals int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.reads, f.renewals
}

func (f *fakeVault) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	hold := f.hold
	f.mu.Unlock()
	if hold != nil {
		hold(r)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	reply := func(status int, body any) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(body)
	}
	denied := map[string]any{"errors": []string{"permission denied"}}
	if r.Method == http.MethodPut && r.URL.Path == "/v1/auth/kubernetes/login" {
		f.login(r, reply)
		return
	}
	if r.Header.Get("X-Vault-Token") != f.token {
		reply(http.StatusForbidden, denied)
		return
	}
	switch {
	case r.Method == http.MethodGet && r.URL.Path == "/v1/secret/data/rasa-secrets":
		f.reads++
		if f.reads <= f.failReads {
			reply(http.StatusServiceUnavailable, map[string]any{"errors": []string{"sealed"}})
			return
		}
		if f.readStatus != 0 {
			reply(f.readStatus, denied)
			return
		}
		reply(http.StatusOK, map[string]any{"data": map[string]any{"data": f.fields}})
	case r.Method == http.MethodGet && r.URL.Path == "/v1/auth/token/lookup-self":
		reply(http.StatusOK, map[string]any{"data": map[string]any{
			"ttl": f.ttl, "creation_ttl": f.ttl, "renewable": f.renewable}})
	case r.Method == http.MethodPut && r.URL.Path == "/v1/auth/token/renew-self":
		f.renewals++
		if f.onRenew != nil {
			f.onRenew()
		}
		ttl, status := f.nextRenewal()
		if status != 0 {
			reply(status, denied)
			return
		}
		reply(http.StatusOK, map[string]any{"auth": map[string]any{
			"lease_duration": ttl, "renewable": f.renewable}})
	case r.Method == http.MethodPut && strings.HasPrefix(r.URL.Path, "/v1/transit/decrypt/"):
		var body struct{ Ciphertext string }
		_ = json.NewDecoder(r.Body).Decode(&body)
		plain, ok := f.ciphertexts[body.Ciphertext]
		if !ok {
			reply(http.StatusBadRequest, map[string]any{"errors": []string{"invalid ciphertext"}})
			return
		}
		reply(http.StatusOK, map[string]any{"data": map[string]any{
			"plaintext": base64.StdEncoding.EncodeToString([]byte(plain))}})
	default:
		reply(http.StatusNotFound, map[string]any{"errors": []string{}})
	}
}

// env returns a LookupEnv over the given pairs only.
func env(pairs ...string) func(string) (string, bool) {
	m := map[string]string{}
	for i := 0; i+1 < len(pairs); i += 2 {
		m[pairs[i]] = pairs[i+1]
	}
	return func(k string) (string, bool) {
		v, ok := m[k]
		return v, ok
	}
}

// sourceDir makes a source directory holding endpoints.yml with the given content.
func sourceDir(t *testing.T, endpointsYAML string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "endpoints.yml"), []byte(endpointsYAML),
		0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// sample reads a file of testdata.
func sample(t *testing.T, name string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// closedURL returns an http URL on 127.0.0.1 where nothing listens.
func closedURL(t *testing.T) string {
	t.Helper()
	port, err := harness.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	return "http://127.0.0.1:" + strconv.Itoa(port)
}

// testOptions are Options for a run against addr with the planted token.
func testOptions(t *testing.T, src, addr string, logs *logSink) Options {
	t.Helper()
	out := t.TempDir()
	return Options{
		SourceDir:              src,
		OutputDir:              out,
		Once:                   true,
		LookupEnv:              env("VAULT_URL", addr, "VAULT_TOKEN", plantedToken),
		Logger:                 newLogger(logs),
		TerminationMessagePath: filepath.Join(t.TempDir(), "termination-log"),
		InitTimeout:            5 * time.Second,
	}
}

// mustNotExist fails when path exists.
func mustNotExist(t *testing.T, path string) {
	t.Helper()
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("%s exists (err %v); a failed run must write nothing", path, err)
	}
}

// readFile returns a file's content or fails the test.
func readFile(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}
