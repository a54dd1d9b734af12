package loadgen

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"
)

// lane is one keep-alive HTTP/1.1 connection that a single goroutine drives on its
// own OS thread: it writes a request and blocks in read(2) for the answer (see
// dialBlocking), so no other goroutine or thread has to be woken on the generator's
// side between the due time and the answer. net/http's client hands each request to
// a connection's writer goroutine and the answer back from its reader goroutine; on
// a machine whose idle CPUs take tens of microseconds to wake, those hand-offs were
// part of every open-loop sample, for every server alike.
type lane struct {
	t    *Target
	host string
	path string
	// config is the target's TLS configuration with the server name to verify.
	config *tls.Config
	conn   *tls.Conn
	br     *bufio.Reader
	req    bytes.Buffer

	// mu guards raw and stopped, which interrupt uses from another goroutine.
	mu      sync.Mutex
	raw     net.Conn
	stopped bool
}

// errStopped: the lane was interrupted and dials no more.
var errStopped = errors.New("the open loop was stopped")

// newLane returns a lane for t, not connected yet.
func newLane(t *Target) (*lane, error) {
	u, err := url.Parse(t.URL)
	if err != nil {
		return nil, fmt.Errorf("parsing the target URL %q: %w", t.URL, err)
	}
	if u.Scheme != "https" {
		return nil, fmt.Errorf("target URL %q: the open loop speaks https only", t.URL)
	}
	config := t.tlsConfig.Clone()
	config.ServerName = u.Hostname()
	return &lane{t: t, host: u.Host, path: u.RequestURI(), config: config}, nil
}

// dial connects the lane and completes the TLS handshake by deadline, or until ctx
// ends or interrupt runs.
func (l *lane) dial(ctx context.Context, deadline time.Time) error {
	ctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	raw, err := dialBlocking(ctx, l.host)
	if err != nil {
		return fmt.Errorf("connecting to %s: %w", l.host, err)
	}
	l.mu.Lock()
	stopped := l.stopped
	if !stopped {
		l.raw = raw
	}
	l.mu.Unlock()
	if stopped {
		_ = raw.Close()
		return errStopped
	}
	conn := tls.Client(raw, l.config)
	_ = conn.SetDeadline(deadline)
	if err := conn.Handshake(); err != nil {
		l.forget()
		_ = raw.Close()
		return fmt.Errorf("TLS handshake with %s: %w", l.host, err)
	}
	l.conn = conn
	if l.br == nil {
		l.br = bufio.NewReaderSize(conn, 16<<10)
	} else {
		l.br.Reset(conn)
	}
	return nil
}

// do posts body and returns the answer by deadline, as Target.Do does. A connection
// that failed, that the server closes, or that carries more than the answer is
// dropped and redialled by the next call.
func (l *lane) do(ctx context.Context, body []byte, deadline time.Time) ([]byte, error) {
	if l.conn == nil {
		if err := l.dial(ctx, deadline); err != nil {
			return nil, err
		}
	}
	if err := l.conn.SetDeadline(deadline); err != nil {
		l.close()
		return nil, fmt.Errorf("setting the deadline of a request to %s: %w", l.t.URL, err)
	}
	l.req.Reset()
	l.req.WriteString("POST " + l.path + " HTTP/1.1\r\nHost: " + l.host +
		"\r\nContent-Type: application/json\r\nContent-Length: " +
		strconv.Itoa(len(body)) + "\r\n\r\n")
	l.req.Write(body)
	if _, err := l.conn.Write(l.req.Bytes()); err != nil {
		l.close()
		return nil, fmt.Errorf("posting to %s: %w", l.t.URL, err)
	}
	resp, err := l.readResponse()
	if err != nil {
		l.close()
		return nil, fmt.Errorf("reading the answer of %s: %w", l.t.URL, err)
	}
	answer, err := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if err != nil || resp.Close || l.br.Buffered() > 0 {
		// After the answer the server has nothing to say: bytes already here belong to
		// no request, and reading them as the next answer would be wrong.
		l.close()
	}
	if err != nil {
		return nil, fmt.Errorf("reading the answer of %s: %w", l.t.URL, err)
	}
	return answer, l.t.check(resp.StatusCode, answer)
}

// readResponse reads the final answer, skipping informational (1xx) ones as
// net/http's client does.
func (l *lane) readResponse() (*http.Response, error) {
	for {
		resp, err := http.ReadResponse(l.br, nil)
		if err != nil {
			return nil, err
		}
		if resp.StatusCode < 100 || resp.StatusCode > 199 ||
			resp.StatusCode == http.StatusSwitchingProtocols {
			return resp, nil
		}
		_ = resp.Body.Close()
	}
}

// dropIfClosed drops the idle connection if the server closed it or sent bytes
// nobody asked for (a TLS close_notify first), so that the next request dials anew
// rather than fail on it; net/http's client learns the same at once from the reader
// goroutine it keeps on every idle connection. The open loop calls it before a
// request's due time, so that it costs the measured request nothing.
func (l *lane) dropIfClosed() {
	if l.conn == nil {
		return
	}
	l.mu.Lock()
	raw := l.raw
	l.mu.Unlock()
	if c, ok := raw.(interface{ idleUnusable() bool }); ok && c.idleUnusable() {
		l.close()
	}
}

// forget drops the lane's reference to its raw connection, for interrupt.
func (l *lane) forget() {
	l.mu.Lock()
	l.raw = nil
	l.mu.Unlock()
}

// close drops the lane's connection.
func (l *lane) close() {
	if l.conn != nil {
		_ = l.conn.Close()
		l.conn = nil
	}
	l.forget()
}

// interrupt wakes the lane from a blocked read or write, from another goroutine, and
// keeps it from dialling again: its request fails at once.
func (l *lane) interrupt() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.stopped = true
	if l.raw == nil {
		return
	}
	if s, ok := l.raw.(interface{ Shutdown() error }); ok {
		// A socket's close(2) does not wake a thread blocked in read(2) on it.
		_ = s.Shutdown()
		return
	}
	_ = l.raw.Close()
}
