package agent

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/go-logr/logr"
)

func TestProbeReflectsTheAgentsHealth(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	h := NewHealth()
	addr, err := ServeHealth(ctx, "127.0.0.1:0", h, logr.Discard())
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name        string
		change      func()
		started     bool
		ready       bool
		wantInError string
	}{
		{"an agent that has not written the files is neither started nor ready",
			func() {}, false, false, "ready=false"},
		{"an agent that wrote the files is started and ready",
			func() { h.fetched(timeZero) }, true, true, ""},
		{"an expired token keeps it started but not ready, with the reason",
			func() { h.tokenDead("vault token expired: vault refused the renewal") },
			true, false, "vault refused the renewal"},
		{"a token alive again makes it ready again",
			func() { h.tokenAlive(timeZero.Add(time.Hour)) }, true, true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.change()
			for path, want := range map[string]bool{PathStarted: tt.started,
				PathReady: tt.ready} {
				summary, err := Probe{Addr: addr.String(), Path: path}.Check(ctx)
				if (err == nil) != want {
					t.Errorf("%s: err = %v, want passing %v", path, err, want)
				}
				if err != nil && !strings.Contains(err.Error(), tt.wantInError) {
					t.Errorf("%s: err = %v, want it to contain %q", path, err,
						tt.wantInError)
				}
				if err == nil && !strings.Contains(summary, "ready=true") {
					t.Errorf("%s: summary %q", path, summary)
				}
			}
		})
	}

	cancel()
	deadline := time.Now().Add(2 * time.Second)
	for {
		_, err := Probe{Addr: addr.String()}.Check(context.Background())
		if err != nil && strings.Contains(err.Error(), "does not answer") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the probe still passes after the agent stopped: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestHealthAddressMustBeLoopback(t *testing.T) {
	tests := []struct {
		name string
		addr string
		ok   bool
	}{
		{"an IPv4 loopback address is accepted", "127.0.0.1:8099", true},
		{"an IPv6 loopback address is accepted", "[::1]:8099", true},
		{"localhost is accepted", "localhost:8099", true},
		{"all interfaces are refused", "0.0.0.0:8099", false},
		{"an empty host is refused", ":8099", false},
		{"a pod address is refused", "10.0.0.7:8099", false},
		{"a missing port is refused", "127.0.0.1", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := checkLoopback(tt.addr)
			if (err == nil) != tt.ok {
				t.Fatalf("checkLoopback(%q) = %v, want ok %v", tt.addr, err, tt.ok)
			}
			if err != nil && !strings.Contains(err.Error(), "--health-addr") {
				t.Errorf("error %q does not name the flag", err)
			}
		})
	}
}
