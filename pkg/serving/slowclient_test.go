package serving

import (
	"crypto/tls"
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/rasa-vault-webhook/rasa-vault-webhook/internal/testpki"
)

// TestASlowClientDoesNotHoldTheShutdown keeps a request's body unfinished while the
// server shuts down: the read timeout must end it, so Start returns nil in time instead
// of waiting out ShutdownTimeout and reporting requests cut off.
func TestASlowClientDoesNotHoldTheShutdown(t *testing.T) {
	old := readTimeout
	readTimeout = 300 * time.Millisecond
	t.Cleanup(func() { readTimeout = old })

	ca := testpki.NewCA(t)
	dir := t.TempDir()
	testpki.WriteRenamed(t, dir, ca.Issue(t, "slow"))
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
	})
	s := &Server{Addr: "127.0.0.1:0", CertDir: dir, Handler: handler,
		ShutdownTimeout: 5 * time.Second}
	cancel, done := startServer(t, s)

	cfg := ca.ClientConfig()
	cfg.NextProtos = []string{"http/1.1"}
	conn, err := tls.Dial("tcp", s.BoundAddr(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// Headers promise 100 bytes; one arrives.
	_, err = fmt.Fprintf(conn, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nx")
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond) // let the handler start reading
	if s.Ready() != nil {
		t.Fatal("not ready before the shutdown")
	}
	cancel()

	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Start returned %v, want nil once the slow request timed out", err)
		}
	case <-time.After(4 * time.Second):
		t.Fatal("the shutdown waited on a client that never finished its body")
	}
}
