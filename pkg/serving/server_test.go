package serving

import (
	"context"
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rasa-vault-webhook/rasa-vault-webhook/internal/testpki"
)

// startServer runs s.Start in the background until the test ends, waits until the
// server is ready, and returns a cancel function and the channel Start returns on.
func startServer(t *testing.T, s *Server) (context.CancelFunc, <-chan error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- s.Start(ctx)
		close(done) // so the cleanup below returns even if the test took the result
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Error("Start did not return within 10s of cancel")
		}
	})

	deadline := time.Now().Add(5 * time.Second)
	for s.Ready() != nil {
		select {
		case err := <-done:
			t.Fatalf("Start returned before ready: %v", err)
		case <-time.After(5 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("not ready after 5s: %v", s.Ready())
		}
	}
	return cancel, done
}

// waitFor polls cond until it holds or timeout passes.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s", what, timeout)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// waitStart returns what Start returned, failing the test if it takes over timeout.
func waitStart(t *testing.T, done <-chan error, timeout time.Duration) error {
	t.Helper()
	select {
	case err := <-done:
		return err
	case <-time.After(timeout):
		t.Fatalf("Start did not return within %s", timeout)
		return nil
	}
}

// h2Client and http1Client reach the server as the apiserver would, trusting ca.
func h2Client(ca *testpki.CA) *http.Client {
	return &http.Client{Transport: &http.Transport{
		TLSClientConfig: ca.ClientConfig(), ForceAttemptHTTP2: true}}
}

func http1Client(ca *testpki.CA) *http.Client {
	cfg := ca.ClientConfig()
	cfg.NextProtos = []string{"http/1.1"}
	return &http.Client{Transport: &http.Transport{TLSClientConfig: cfg}}
}

func protoHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "hello over "+r.Proto)
	})
}

func TestServerServesOverHTTP2AndHTTP1WhileReady(t *testing.T) {
	ca := testpki.NewCA(t)
	dir := t.TempDir()
	testpki.WriteRenamed(t, dir, ca.Issue(t, "first"))
	s := &Server{Addr: "127.0.0.1:0", CertDir: dir, Handler: protoHandler()}

	if err := s.Ready(); err == nil || !strings.Contains(err.Error(), "not started") {
		t.Errorf("Ready before Start = %v, want a not-started error", err)
	}
	if s.BoundAddr() != "" {
		t.Errorf("BoundAddr before Start = %q, want empty", s.BoundAddr())
	}
	cancel, done := startServer(t, s)
	url := "https://" + s.BoundAddr() + "/"

	for _, tc := range []struct {
		name, wantProto, wantALPN string
		client                    *http.Client
	}{
		{"a client offering h2 gets HTTP/2", "HTTP/2.0", "h2", h2Client(ca)},
		{"an HTTP/1.1-only client gets HTTP/1.1", "HTTP/1.1", "http/1.1", http1Client(ca)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := tc.client.Get(url)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != http.StatusOK || string(body) != "hello over "+tc.wantProto {
				t.Errorf("got %d %q, want 200 %q", resp.StatusCode, body,
					"hello over "+tc.wantProto)
			}
			if resp.Proto != tc.wantProto || resp.TLS.NegotiatedProtocol != tc.wantALPN {
				t.Errorf("proto %s ALPN %q, want %s %q",
					resp.Proto, resp.TLS.NegotiatedProtocol, tc.wantProto, tc.wantALPN)
			}
		})
	}

	t.Run("TLS 1.1 is refused", func(t *testing.T) {
		cfg := ca.ClientConfig()
		cfg.MinVersion, cfg.MaxVersion = tls.VersionTLS10, tls.VersionTLS11
		conn, err := tls.Dial("tcp", s.BoundAddr(), cfg)
		if err == nil {
			conn.Close()
			t.Fatal("TLS 1.1 handshake succeeded")
		}
	})

	cancel()
	if err := waitStart(t, done, 5*time.Second); err != nil {
		t.Errorf("Start = %v, want nil after ctx ends", err)
	}
	if err := s.Ready(); err == nil || !strings.Contains(err.Error(), "stopped") {
		t.Errorf("Ready after Start returned = %v, want a stopped error", err)
	}
}

func TestShutdownLetsInFlightRequestFinish(t *testing.T) {
	ca := testpki.NewCA(t)
	for _, tc := range []struct {
		name   string
		client *http.Client
	}{
		{"over HTTP/2", h2Client(ca)},
		{"over HTTP/1.1", http1Client(ca)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			testpki.WriteRenamed(t, dir, ca.Issue(t, "first"))
			entered, release := make(chan struct{}), make(chan struct{})
			var once sync.Once
			s := &Server{Addr: "127.0.0.1:0", CertDir: dir,
				Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					once.Do(func() { close(entered) })
					<-release
					_, _ = io.WriteString(w, "done")
				})}
			cancel, done := startServer(t, s)
			addr := s.BoundAddr()

			type result struct {
				status int
				body   string
				err    error
			}
			results := make(chan result, 1)
			go func() {
				resp, err := tc.client.Get("https://" + addr + "/")
				if err != nil {
					results <- result{err: err}
					return
				}
				defer resp.Body.Close()
				body, err := io.ReadAll(resp.Body)
				results <- result{resp.StatusCode, string(body), err}
			}()
			<-entered

			cancel()
			if err := s.Ready(); err == nil {
				t.Error("Ready is nil after ctx ended, want not ready while draining")
			}
			waitFor(t, 5*time.Second, "listener closed", func() bool {
				conn, err := net.DialTimeout("tcp", addr, time.Second)
				if err != nil {
					return true
				}
				conn.Close()
				return false
			})
			select {
			case err := <-done:
				t.Fatalf("Start returned %v with a request still in flight", err)
			default:
			}

			close(release)
			r := <-results
			if r.err != nil || r.status != http.StatusOK || r.body != "done" {
				t.Errorf("in-flight request got %d %q %v, want 200 \"done\"", r.status,
					r.body, r.err)
			}
			if err := waitStart(t, done, 5*time.Second); err != nil {
				t.Errorf("Start = %v, want nil after a graceful shutdown", err)
			}
			if conn, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
				conn.Close()
				t.Error("a new connection was accepted after shutdown")
			}
		})
	}
}

func TestShutdownCutsOffRequestsAfterShutdownTimeout(t *testing.T) {
	ca := testpki.NewCA(t)
	dir := t.TempDir()
	testpki.WriteRenamed(t, dir, ca.Issue(t, "first"))
	entered, release := make(chan struct{}), make(chan struct{})
	t.Cleanup(func() { close(release) })
	s := &Server{Addr: "127.0.0.1:0", CertDir: dir, ShutdownTimeout: 100 * time.Millisecond,
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			close(entered)
			<-release
		})}
	cancel, done := startServer(t, s)
	go func() {
		resp, err := h2Client(ca).Get("https://" + s.BoundAddr() + "/")
		if err == nil {
			resp.Body.Close()
		}
	}()
	<-entered

	cancel()
	err := waitStart(t, done, 5*time.Second)
	if err == nil || !strings.Contains(err.Error(), "cut off") {
		t.Errorf("Start = %v, want an error saying requests were cut off", err)
	}
}

func TestStartRejectsUnusableCertificate(t *testing.T) {
	ca := testpki.NewCA(t)
	good, other := ca.Issue(t, "good"), ca.Issue(t, "other")
	for _, tc := range []struct {
		name  string
		files map[string][]byte
		want  []string // in the error, besides the directory
	}{
		{"a missing tls.crt is named with the fix", map[string][]byte{KeyFileName: good.Key},
			[]string{CertFileName, "no such file", "mount a kubernetes.io/tls Secret"}},
		{"a missing tls.key is named with the fix", map[string][]byte{CertFileName: good.Cert},
			[]string{KeyFileName, "no such file", "mount a kubernetes.io/tls Secret"}},
		{"a key of another certificate is a mismatch",
			map[string][]byte{CertFileName: good.Cert, KeyFileName: other.Key},
			[]string{CertFileName, KeyFileName, "does not match", "private key of tls.crt"}},
		{"a tls.crt without PEM is rejected",
			map[string][]byte{CertFileName: []byte("not a certificate"), KeyFileName: good.Key},
			[]string{CertFileName, "PEM"}},
		{"an empty tls.key is rejected",
			map[string][]byte{CertFileName: good.Cert, KeyFileName: nil},
			[]string{KeyFileName, "PEM"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			for name, data := range tc.files {
				if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
					t.Fatal(err)
				}
			}
			s := &Server{Addr: "127.0.0.1:0", CertDir: dir, Handler: protoHandler()}

			err := s.Start(context.Background())
			if err == nil {
				t.Fatal("Start succeeded")
			}
			for _, w := range append(tc.want, dir) {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
			if s.Ready() == nil || s.BoundAddr() != "" {
				t.Errorf("after a failed Start: Ready = nil or BoundAddr = %q", s.BoundAddr())
			}
		})
	}
}

func TestStartRejectsMisuse(t *testing.T) {
	ca := testpki.NewCA(t)
	dir := t.TempDir()
	testpki.WriteRenamed(t, dir, ca.Issue(t, "first"))
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()

	for _, tc := range []struct {
		name string
		s    *Server
		want string
	}{
		{"a taken address is named in the error",
			&Server{Addr: taken.Addr().String(), CertDir: dir, Handler: protoHandler()},
			"listening on " + taken.Addr().String()},
		{"a nil Handler is refused, not served by DefaultServeMux",
			&Server{Addr: "127.0.0.1:0", CertDir: dir}, "Handler is nil"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.s.Start(context.Background())
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Start = %v, want an error containing %q", err, tc.want)
			}
		})
	}

	t.Run("a second Start is refused", func(t *testing.T) {
		s := &Server{Addr: "127.0.0.1:0", CertDir: dir, Handler: protoHandler()}
		startServer(t, s)
		if err := s.Start(context.Background()); err == nil {
			t.Error("second Start succeeded")
		}
		if err := s.Ready(); err != nil {
			t.Errorf("the first Start stopped being ready: %v", err)
		}
	})
}

func TestHandshakeErrorsAreLoggedAtDebug(t *testing.T) {
	ca := testpki.NewCA(t)
	dir := t.TempDir()
	testpki.WriteRenamed(t, dir, ca.Issue(t, "first"))
	var logs logSink
	s := &Server{Addr: "127.0.0.1:0", CertDir: dir, Handler: protoHandler(),
		Logger: logs.logger()}
	startServer(t, s)

	// A probe that speaks no TLS, as a TCP health check or a scanner would.
	conn, err := net.Dial("tcp", s.BoundAddr())
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.WriteString(conn, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	_, _ = io.ReadAll(conn)
	conn.Close()

	waitFor(t, 5*time.Second, "handshake failure logged", func() bool {
		return len(logs.matching(`"msg":"TLS handshake failed"`)) > 0
	})
	for _, l := range logs.matching(`"msg":"TLS handshake failed"`) {
		if !strings.Contains(l, `"level":1`) {
			t.Errorf("handshake failure not at V(1): %s", l)
		}
	}
	if errs := logs.matching(`"error":`); len(errs) > 0 {
		t.Errorf("handshake failure logged as an error: %v", errs)
	}
}

func TestZeroLoggerServerStartsAndStops(t *testing.T) {
	ca := testpki.NewCA(t)
	dir := t.TempDir()
	testpki.WriteRenamed(t, dir, ca.Issue(t, "first"))
	s := &Server{Addr: "127.0.0.1:0", CertDir: dir, Handler: protoHandler()}
	cancel, done := startServer(t, s)
	cancel()
	if err := waitStart(t, done, 5*time.Second); err != nil {
		t.Errorf("Start = %v", err)
	}
}
