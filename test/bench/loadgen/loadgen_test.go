package loadgen

import (
	"context"
	"encoding/pem"
	"io"
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
	caPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE",
		Bytes: srv.Certificate().Raw})
	target, err := NewTarget(srv.URL, []byte(`{}`), caPEM, 4)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(target.Close)
	return target
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
	target.URL = "https://localhost:1/mutate"

	res := Open(context.Background(), target, 100, 100*time.Millisecond)

	if res.Errors == 0 || !strings.Contains(res.FirstError, "IP address") {
		t.Errorf("errors %d (%q); want the open loop to refuse a host name", res.Errors,
			res.FirstError)
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
