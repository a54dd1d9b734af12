package vault

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/rasa-vault-webhook/rasa-vault-webhook/pkg/vaultconfig"
	"github.com/rasa-vault-webhook/rasa-vault-webhook/test/harness"
)

// plantedToken is the token every unit test uses; no output may ever contain it.
const plantedToken = "hvs.PLANTED-token-7f3e9a"

// fakeVault is an httptest server that answers given paths with canned JSON and
// records the headers it saw.
type fakeVault struct {
	*httptest.Server
	mu       sync.Mutex
	requests []*http.Request
	bodies   []string
}

// route is one canned answer.
type route struct {
	status int
	body   string
}

func newFakeVault(t *testing.T, routes map[string]route) *fakeVault {
	t.Helper()
	f := &fakeVault{}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		f.mu.Lock()
		f.requests = append(f.requests, r.Clone(r.Context()))
		f.bodies = append(f.bodies, string(body))
		f.mu.Unlock()
		key := r.Method + " " + r.URL.Path
		rt, ok := routes[key]
		if !ok {
			w.WriteHeader(http.StatusNotFound)
			_, _ = w.Write([]byte(`{"errors":[]}`))
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(rt.status)
		_, _ = w.Write([]byte(rt.body))
	}))
	t.Cleanup(f.Close)
	return f
}

// seen returns a copy of the recorded requests.
func (f *fakeVault) seen() []*http.Request {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]*http.Request(nil), f.requests...)
}

// body returns the recorded body of the i-th request.
func (f *fakeVault) body(i int) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.bodies[i]
}

// newTestClient builds a Client for addr with the planted token.
func newTestClient(t *testing.T, addr, namespace string, opts ...Option) *Client {
	t.Helper()
	c, err := New(vaultconfig.Config{Type: "vault", URL: addr, Token: plantedToken,
		Namespace: namespace}, opts...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c
}

// closedAddr returns an http URL on 127.0.0.1 where nothing listens.
func closedAddr(t *testing.T) string {
	t.Helper()
	port, err := harness.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	return "http://127.0.0.1:" + strconv.Itoa(port)
}

// assertNoLeak fails when text contains the planted token or any of the values.
func assertNoLeak(t *testing.T, text string, values ...string) {
	t.Helper()
	for _, v := range append([]string{plantedToken}, values...) {
		if v != "" && strings.Contains(text, v) {
			t.Errorf("output leaks %q: %s", v, text)
		}
	}
}

// slowHandler answers only after release is closed, to exercise timeouts.
func slowHandler(release <-chan struct{}) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
		w.WriteHeader(http.StatusServiceUnavailable)
	})
}
