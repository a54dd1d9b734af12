package loadgen

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/pem"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// tlsTarget serves handler over TLS on loopback and returns a Target trusting it.
func tlsTarget(t *testing.T, handler http.HandlerFunc) *Target {
	t.Helper()
	srv := httptest.NewTLSServer(handler)
	t.Cleanup(srv.Close)
	return trusting(t, srv, srv.URL)
}

// trusting returns a Target for url that trusts srv's certificate.
func trusting(t *testing.T, srv *httptest.Server, url string) *Target {
	t.Helper()
	caPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE",
		Bytes: srv.Certificate().Raw})
	target, err := NewTarget(url, []byte(`{}`), caPEM, 4)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(target.Close)
	return target
}

// acceptEach runs each connection ln accepts through handle, on its own goroutine,
// until ln is closed (at the test's end).
func acceptEach(t *testing.T, ln net.Listener, handle func(net.Conn)) {
	t.Cleanup(func() { _ = ln.Close() })
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go handle(conn)
		}
	}()
}

func TestClosedLoopCountsAnswersAndOrdersQuantiles(t *testing.T) {
	target := tlsTarget(t, func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte(`{"patch":"x"}`))
	})

	res := Closed(context.Background(), target, 2, 200*time.Millisecond)

	if res.Requests == 0 || res.Errors != 0 {
		t.Fatalf("requests %d, errors %d (%s); want some and none", res.Requests,
			res.Errors, res.FirstError)
	}
	if p50, p99 := res.Quantile(0.5), res.Quantile(0.99); p50 <= 0 || p99 < p50 ||
		res.Max() < p99 {
		t.Errorf("quantiles out of order: p50 %s, p99 %s, max %s", p50, p99, res.Max())
	}
}

func TestOpenLoopKeepsItsScheduleAndRecordsAStall(t *testing.T) {
	const stall = 150 * time.Millisecond
	first := make(chan struct{}, 1)
	first <- struct{}{}
	target := tlsTarget(t, func(w http.ResponseWriter, _ *http.Request) {
		select {
		case <-first:
			time.Sleep(stall)
		default:
		}
	})
	target.Accept = nil

	res := Open(context.Background(), target, 100, 500*time.Millisecond)

	if res.Requests != 50 || res.Errors != 0 {
		t.Errorf("sent %d requests with %d errors (%s), want 50 (100 rps for 0.5 s) and "+
			"none", res.Requests, res.Errors, res.FirstError)
	}
	if res.Max() < stall {
		t.Errorf("max latency %s hides the %s stall", res.Max(), stall)
	}
}

func TestAcceptRejectsAWrongAnswer(t *testing.T) {
	target := tlsTarget(t, func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte(`{"allowed":false}`))
	})
	target.Accept = func(body []byte) bool { return false }

	if _, err := target.Do(context.Background()); err == nil {
		t.Fatal("an answer Accept rejects was counted as good")
	}
}

func TestBodiesArePostedInTurn(t *testing.T) {
	var got []string
	target := tlsTarget(t, func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		got = append(got, string(body))
		_, _ = w.Write([]byte(`{}`))
	})
	target.Bodies = [][]byte{[]byte("a"), []byte("b"), []byte("c")}
	for range 4 {
		if _, err := target.Do(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if strings.Join(got, "") != "abca" {
		t.Errorf("posted %q, want a, b, c, a", got)
	}
}

func TestOpenLoopRedialsAClosedConnectionAndPostsBodiesInTurn(t *testing.T) {
	var mu sync.Mutex
	seen := map[string]int{}
	target := tlsTarget(t, func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		seen[string(body)]++
		n := seen[string(body)]
		mu.Unlock()
		if n%2 == 0 {
			w.Header().Set("Connection", "close")
		}
		_, _ = w.Write([]byte(`{}`))
	})
	target.Bodies = [][]byte{[]byte("a"), []byte("b")}

	res := Open(context.Background(), target, 200, 300*time.Millisecond)

	if res.Requests != 60 || res.Errors != 0 {
		t.Errorf("%d requests with %d errors (%s), want 60 and none", res.Requests,
			res.Errors, res.FirstError)
	}
	mu.Lock()
	defer mu.Unlock()
	if seen["a"] != 30 || seen["b"] != 30 {
		t.Errorf("bodies posted %v, want a and b 30 times each", seen)
	}
}

func TestOpenLoopCountsAWrongStatusAsAnError(t *testing.T) {
	target := tlsTarget(t, func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "no", http.StatusServiceUnavailable)
	})
	target.Accept = nil

	res := Open(context.Background(), target, 100, 100*time.Millisecond)

	if res.Requests != 10 || res.Errors != 10 || !strings.Contains(res.FirstError, "503") {
		t.Errorf("%d requests, %d errors (%q); want 10 failed with HTTP 503",
			res.Requests, res.Errors, res.FirstError)
	}
}

func TestOpenLoopReportsAnUnreachableTarget(t *testing.T) {
	target := tlsTarget(t, func(http.ResponseWriter, *http.Request) {})
	target.URL = "https://127.0.0.1:1/mutate"

	res := Open(context.Background(), target, 100, 100*time.Millisecond)

	if res.Requests != 10 || res.Errors != 10 || !strings.Contains(res.FirstError,
		"connecting to 127.0.0.1:1") {
		t.Errorf("%d requests, %d errors (%q); want all 10 failed to connect",
			res.Requests, res.Errors, res.FirstError)
	}
}

func TestMergeAddsRunsUp(t *testing.T) {
	a := finish(time.Second, &recorder{latencies: []time.Duration{3, 1}, requests: 3,
		errors: 1, firstErr: "first"})
	b := finish(2*time.Second, &recorder{latencies: []time.Duration{2}, requests: 1})
	b.SendLag = 5

	m := Merge(a, b)

	if m.Requests != 4 || m.Errors != 1 || m.FirstError != "first" ||
		m.Elapsed != 3*time.Second || m.SendLag != 5 {
		t.Errorf("merged %+v", m)
	}
	if m.Quantile(0) != 1 || m.Quantile(0.5) != 2 || m.Max() != 3 {
		t.Errorf("merged latencies out of order: %v", m.latencies)
	}
}

// TestOpenLoopCountsEveryDueRequestOfAStalledServer: a server that never answers gets
// every due request as an error (timed out, or never sent for want of a free lane),
// and the loop still ends by its duration plus the request timeout.
func TestOpenLoopCountsEveryDueRequestOfAStalledServer(t *testing.T) {
	release := make(chan struct{})
	target := tlsTarget(t, func(http.ResponseWriter, *http.Request) { <-release })
	t.Cleanup(func() { close(release) })
	const timeout = 300 * time.Millisecond

	start := time.Now()
	res := openFor(context.Background(), target, 400, 100*time.Millisecond, timeout)
	took := time.Since(start)

	if res.Requests != 40 || res.Errors != 40 || res.Quantile(1) != 0 {
		t.Errorf("%d requests, %d errors (%s), %d good; want 40 errors", res.Requests,
			res.Errors, res.FirstError, res.Requests-res.Errors)
	}
	if took > 100*time.Millisecond+timeout+200*time.Millisecond {
		t.Errorf("took %s, want about %s", took, 100*time.Millisecond+timeout)
	}
}

// TestOpenLoopBoundsARequestThatTrickles: an answer that keeps arriving a byte at a
// time is still cut at the request timeout, as net/http's client cuts it.
func TestOpenLoopBoundsARequestThatTrickles(t *testing.T) {
	done := make(chan struct{})
	t.Cleanup(func() { close(done) })
	target := tlsTarget(t, func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Length", "64")
		for range 64 {
			if _, err := w.Write([]byte("x")); err != nil {
				return
			}
			w.(http.Flusher).Flush()
			select {
			case <-done:
				return
			case <-time.After(50 * time.Millisecond):
			}
		}
	})
	target.Accept = nil
	const timeout = 400 * time.Millisecond

	start := time.Now()
	res := openFor(context.Background(), target, 80, 100*time.Millisecond, timeout)
	took := time.Since(start)

	if res.Requests != 8 || res.Errors != 8 {
		t.Errorf("%d requests, %d errors (%s); want 8 timed out", res.Requests, res.Errors,
			res.FirstError)
	}
	if took > 100*time.Millisecond+timeout+200*time.Millisecond {
		t.Errorf("took %s, want about %s", took, 100*time.Millisecond+timeout)
	}
}

// TestOpenLoopSendLagIsTheGeneratorsOwn: waiting for a slow answer before the next
// request of a lane is the server's time, charged to latency, not send lag.
func TestOpenLoopSendLagIsTheGeneratorsOwn(t *testing.T) {
	first := make(chan struct{}, 1)
	first <- struct{}{}
	target := tlsTarget(t, func(http.ResponseWriter, *http.Request) {
		select {
		case <-first:
			time.Sleep(100 * time.Millisecond)
		default:
		}
	})
	target.Accept = nil

	res := Open(context.Background(), target, 500, 300*time.Millisecond)

	if res.Errors != 0 || res.Max() < 100*time.Millisecond {
		t.Fatalf("errors %d (%s), max %s; want none and the 100 ms answer", res.Errors,
			res.FirstError, res.Max())
	}
	if res.SendLag > 20*time.Millisecond {
		t.Errorf("send lag %s: the slow answer was charged to the generator", res.SendLag)
	}
}

// TestOpenLoopStopsWhenItsContextIsCancelled: a lane blocked in read(2), with seconds
// left before its deadline, is woken when the caller gives up (Ctrl-C, a bound).
func TestOpenLoopStopsWhenItsContextIsCancelled(t *testing.T) {
	release := make(chan struct{})
	target := tlsTarget(t, func(http.ResponseWriter, *http.Request) { <-release })
	t.Cleanup(func() { close(release) })
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	time.AfterFunc(200*time.Millisecond, cancel)

	start := time.Now()
	res := Open(ctx, target, 100, time.Second)

	if took := time.Since(start); took > time.Second {
		t.Errorf("took %s after its context was cancelled at 200 ms", took)
	}
	if res.Requests != 100 || res.Errors != 100 {
		t.Errorf("%d requests, %d errors; want all 100 due as errors", res.Requests,
			res.Errors)
	}
}

// rawTLSTarget serves TLS on loopback with serve writing the raw bytes of every answer
// (one call per request read), and returns a Target trusting it.
func rawTLSTarget(t *testing.T, serve func(conn net.Conn, br *bufio.Reader) error) *Target {
	t.Helper()
	srv := httptest.NewUnstartedServer(nil)
	srv.StartTLS() // for its certificate; the listener below answers instead
	srv.Close()
	ln, err := tls.Listen("tcp", "127.0.0.1:0", srv.TLS)
	if err != nil {
		t.Fatal(err)
	}
	acceptEach(t, ln, func(conn net.Conn) {
		defer conn.Close()
		br := bufio.NewReader(conn)
		for {
			req, err := http.ReadRequest(br)
			if err != nil {
				return
			}
			_, _ = io.Copy(io.Discard, req.Body)
			if serve(conn, br) != nil {
				return
			}
		}
	})
	target := trusting(t, srv, "https://"+ln.Addr().String()+"/mutate")
	target.Accept = nil
	return target
}

// TestOpenLoopCountsAnAnswerCutShortAsAnError: an answer that runs to the end of the
// connection, cut when the loop is cancelled, is not a good one.
func TestOpenLoopCountsAnAnswerCutShortAsAnError(t *testing.T) {
	target := rawTLSTarget(t, func(conn net.Conn, _ *bufio.Reader) error {
		_, err := io.WriteString(conn, "HTTP/1.1 200 OK\r\n\r\n{\"partial")
		time.Sleep(time.Second)
		return errors.Join(err, errors.New("done"))
	})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	time.AfterFunc(100*time.Millisecond, cancel)

	res := Open(ctx, target, 80, 100*time.Millisecond)

	if res.Requests != 8 || res.Errors != 8 {
		t.Errorf("%d requests, %d errors (%s); want all 8 cut answers as errors",
			res.Requests, res.Errors, res.FirstError)
	}
}

// TestOpenLoopSkipsInformationalAnswersAndDropsExtraBytes: a 103 before the answer is
// skipped, as net/http skips it, and bytes after an answer never pass for the next
// request's answer.
func TestOpenLoopSkipsInformationalAnswersAndDropsExtraBytes(t *testing.T) {
	const answer = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}"
	for name, write := range map[string]string{
		"103 first":   "HTTP/1.1 103 Early Hints\r\nLink: </x>\r\n\r\n" + answer,
		"two answers": answer + answer,
	} {
		t.Run(name, func(t *testing.T) {
			target := rawTLSTarget(t, func(conn net.Conn, _ *bufio.Reader) error {
				time.Sleep(20 * time.Millisecond)
				_, err := io.WriteString(conn, write)
				return err
			})

			res := openFor(context.Background(), target, 80, 200*time.Millisecond,
				time.Second)

			if res.Requests != 16 || res.Errors != 0 || res.Quantile(0) < 20*time.Millisecond {
				t.Errorf("%d requests, %d errors (%s), fastest %s; want 16 good answers "+
					"of 20 ms or more", res.Requests, res.Errors, res.FirstError,
					res.Quantile(0))
			}
		})
	}
}

// TestOpenLoopGivesUpOnAStalledHandshakeInTime: connections that never finish their
// TLS handshake fail within the timeout, and at once when the caller cancels.
func TestOpenLoopGivesUpOnAStalledHandshakeInTime(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	acceptEach(t, ln, func(conn net.Conn) {
		<-release
		_ = conn.Close()
	})
	target := tlsTarget(t, func(http.ResponseWriter, *http.Request) {})
	target.URL = "https://" + ln.Addr().String() + "/mutate"

	start := time.Now()
	res := openFor(context.Background(), target, 100, 100*time.Millisecond,
		300*time.Millisecond)
	if took := time.Since(start); took > time.Second || res.Errors != 10 {
		t.Errorf("timeout: took %s, %d errors (%s); want 10 within the 300 ms timeout",
			took, res.Errors, res.FirstError)
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	time.AfterFunc(100*time.Millisecond, cancel)
	start = time.Now()
	res = Open(ctx, target, 100, 100*time.Millisecond)
	if took := time.Since(start); took > time.Second || res.Errors != 10 {
		t.Errorf("cancel: took %s, %d errors (%s); want 10 soon after 100 ms", took,
			res.Errors, res.FirstError)
	}
}

// TestOpenLoopStopsASleepingLane: at a low rate a lane sleeps for long; a cancelled
// loop does not wait for it, and counts what it did not send.
func TestOpenLoopStopsASleepingLane(t *testing.T) {
	target := tlsTarget(t, func(http.ResponseWriter, *http.Request) {})
	target.Accept = nil
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	time.AfterFunc(100*time.Millisecond, cancel)

	start := time.Now()
	res := Open(ctx, target, 2, 4*time.Second)

	if took := time.Since(start); took > time.Second {
		t.Errorf("took %s after a cancel at 100 ms", took)
	}
	if res.Requests != 8 || res.Errors != 7 || !strings.Contains(res.FirstError,
		"not sent") {
		t.Errorf("%d requests, %d errors (%s); want 1 sent and 7 not sent", res.Requests,
			res.Errors, res.FirstError)
	}
}

// TestOpenLoopRedialsAConnectionClosedWhileIdle: a server that closes idle
// connections quickly costs a slow loop nothing but new connections.
func TestOpenLoopRedialsAConnectionClosedWhileIdle(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(
		func(http.ResponseWriter, *http.Request) {}))
	srv.Config.IdleTimeout = 50 * time.Millisecond
	srv.StartTLS()
	t.Cleanup(srv.Close)
	target := trusting(t, srv, srv.URL)
	target.Accept = nil

	res := openFor(context.Background(), target, 20, 1200*time.Millisecond, time.Second)

	if res.Requests != 24 || res.Errors != 0 {
		t.Errorf("%d requests, %d errors (%s); want 24 good", res.Requests, res.Errors,
			res.FirstError)
	}
}

func TestDueIn(t *testing.T) {
	for _, c := range []struct {
		duration time.Duration
		rate     float64
		want     int
	}{
		{2 * time.Second, 500, 1000}, {290 * time.Millisecond, 100, 29},
		{570 * time.Millisecond, 100, 57}, {time.Millisecond, 10, 1}, {time.Second, 0, 0},
		{time.Second, -5, 0},
	} {
		if got := dueIn(c.duration, c.rate); got != c.want {
			t.Errorf("dueIn(%s, %v) = %d, want %d", c.duration, c.rate, got, c.want)
		}
	}
}
