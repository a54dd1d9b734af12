package loadgen

import (
	"context"
	"encoding/pem"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
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

	if res.Requests != 50 {
		t.Errorf("sent %d requests, want 50 (100 rps for 0.5 s)", res.Requests)
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
