package agent

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/go-logr/logr"
)

// DefaultHealthAddr is where the renewal agent answers its probe. Loopback only: the
// probe runs inside the pod (an exec probe of the same container), so nothing outside
// the pod needs to reach it. The port is shared with the pod's other containers;
// 8099 is not used by Rasa (5005), its action server (5055), Istio (150xx) or Vault
// (8200/8201); --health-addr changes it.
const DefaultHealthAddr = "127.0.0.1:8099"

// Probe paths served by ServeHealth.
const (
	// PathStarted answers 200 once the resolved files have been written.
	PathStarted = "/startz"
	// PathReady answers 200 while the files are written and the agent is healthy (its
	// token alive and Vault not refusing the refreshes).
	PathReady = "/readyz"
)

// healthReadHeaderTimeout bounds a request's headers: the only client is the local
// probe, and a slow client must not pin a goroutine.
const healthReadHeaderTimeout = 2 * time.Second

// healthBody is the JSON a probe endpoint answers with; it holds no secret.
type healthBody struct {
	Ready       bool   `json:"ready"`
	Healthy     bool   `json:"healthy"`
	Reason      string `json:"reason,omitempty"`
	LastRefresh string `json:"last_refresh,omitempty"`
	TokenExpiry string `json:"token_expiry,omitempty"`
}

// HealthHandler answers PathStarted and PathReady from h.
func HealthHandler(h *Health) http.Handler {
	mux := http.NewServeMux()
	answer := func(ok func(HealthStatus) bool) http.HandlerFunc {
		return func(w http.ResponseWriter, _ *http.Request) {
			st := h.Status()
			body := healthBody{Ready: st.Ready, Healthy: st.Healthy, Reason: st.Reason}
			if !st.LastRefresh.IsZero() {
				body.LastRefresh = st.LastRefresh.UTC().Format(time.RFC3339)
			}
			if !st.TokenExpiry.IsZero() {
				body.TokenExpiry = st.TokenExpiry.UTC().Format(time.RFC3339)
			}
			w.Header().Set("Content-Type", "application/json")
			if !ok(st) {
				w.WriteHeader(http.StatusServiceUnavailable)
			}
			_ = json.NewEncoder(w).Encode(body)
		}
	}
	mux.Handle("GET "+PathStarted, answer(func(s HealthStatus) bool { return s.Ready }))
	mux.Handle("GET "+PathReady, answer(func(s HealthStatus) bool {
		return s.Ready && s.Healthy
	}))
	return mux
}

// ServeHealth listens on addr (a loopback address) and serves HealthHandler until ctx
// ends. It returns once the listener is bound, so a port already in use is reported
// before the agent starts; the returned address is the bound one (useful with port 0).
func ServeHealth(ctx context.Context, addr string, h *Health, log logr.Logger) (
	net.Addr, error) {
	if err := checkLoopback(addr); err != nil {
		return nil, err
	}
	l, err := (&net.ListenConfig{}).Listen(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listening for the health probe on %s (--health-addr): %w",
			addr, err)
	}
	srv := &http.Server{Handler: HealthHandler(h), ReadHeaderTimeout: healthReadHeaderTimeout}
	go func() {
		<-ctx.Done()
		_ = srv.Close()
	}()
	go func() {
		if err := srv.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error(err, "health endpoint stopped")
		}
	}()
	log.Info("health endpoint listening", "addr", l.Addr().String())
	return l.Addr(), nil
}

// checkLoopback accepts host:port with a loopback IP host (or "localhost").
func checkLoopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("--health-addr %q is not host:port, e.g. %s: %w", addr,
			DefaultHealthAddr, err)
	}
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("--health-addr %q must be a loopback address such as %s: the "+
			"probe runs inside the pod and nothing else should reach it", addr,
			DefaultHealthAddr)
	}
	return nil
}
