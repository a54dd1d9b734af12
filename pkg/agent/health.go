package agent

import (
	"strings"
	"sync"
	"time"
)

// Health is the agent's state as a probe sees it. It is safe for concurrent use; Run
// writes it and a probe handler reads it with Status.
type Health struct {
	mu          sync.Mutex
	ready       bool
	lastRefresh time.Time
	tokenExpiry time.Time
	tokenIssue  string
	fetchIssue  string
}

// HealthStatus is a snapshot of Health.
type HealthStatus struct {
	// Ready is true once the resolved file has been written (or found up to date).
	Ready bool
	// Healthy is false while the token is expired or Vault refuses the refresh; the
	// files stay as they were, but they will not follow changes in Vault.
	Healthy bool
	// Reason explains an unhealthy state; it never holds a token or a value.
	Reason string
	// LastRefresh is when the secret was last read successfully.
	LastRefresh time.Time
	// TokenExpiry is when the token expires as last seen; zero when it never does or
	// is not known.
	TokenExpiry time.Time
}

// NewHealth returns a Health that is not ready yet and has no problem.
func NewHealth() *Health { return &Health{} }

// Status returns a snapshot.
func (h *Health) Status() HealthStatus {
	h.mu.Lock()
	defer h.mu.Unlock()
	var reasons []string
	for _, r := range []string{h.tokenIssue, h.fetchIssue} {
		if r != "" {
			reasons = append(reasons, r)
		}
	}
	return HealthStatus{
		Ready:       h.ready,
		Healthy:     len(reasons) == 0,
		Reason:      strings.Join(reasons, "; "),
		LastRefresh: h.lastRefresh,
		TokenExpiry: h.tokenExpiry,
	}
}

// fetched records a successful read of the secret.
func (h *Health) fetched(now time.Time) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.ready = true
	h.lastRefresh = now
	h.fetchIssue = ""
}

// fetchFailed records a refresh that Vault refused (not a passing network problem).
func (h *Health) fetchFailed(reason string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.fetchIssue = reason
}

// tokenAlive records the token's expiry after a lookup or renewal.
func (h *Health) tokenAlive(expiry time.Time) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.tokenExpiry = expiry
	h.tokenIssue = ""
}

// tokenDead records that the token expired or was refused.
func (h *Health) tokenDead(reason string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.tokenIssue = reason
}
