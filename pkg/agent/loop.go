package agent

import (
	"context"
	"errors"
	"time"

	"github.com/rasa-vault-webhook/rasa-vault-webhook/pkg/vault"
)

// lookupRetryLater is when a token lookup that found Vault unreachable is tried again.
const lookupRetryLater = 30 * time.Second

// tokenState is what the loop knows about its token. Zero times mean "not scheduled"
// (renewAt, lookupAt) or "never expires / unknown" (expiry).
type tokenState struct {
	lookupAt time.Time
	renewAt  time.Time
	loginAt  time.Time
	expiry   time.Time
	dead     bool
	// creationTTL is the TTL the token started with; a renewal granting less than it
	// (and no more than RenewMargin) means the token is capped by its maximum TTL.
	creationTTL time.Duration
	// loginFailures counts failed logins since the last success, for the backoff.
	loginFailures int
}

// loop is agent mode after the first resolution: renew the token when due, watch for
// its expiry, and refresh the files every RefreshInterval, until ctx ends.
func (a *agent) loop(ctx context.Context) error {
	clock := a.o.Clock
	var tok tokenState
	if a.client != nil {
		tok.lookupAt = clock.Now()
	}
	refreshAt := clock.Now().Add(a.o.RefreshInterval)

	for {
		if ctx.Err() != nil {
			a.log.Info("agent stopping")
			return nil
		}
		now := clock.Now()
		wait := earliest(refreshAt, tok.lookupAt, tok.renewAt, tok.loginAt,
			tok.liveExpiry()).Sub(now)
		if wait > 0 {
			select {
			case <-ctx.Done():
				a.log.Info("agent stopping")
				return nil
			case <-clock.After(wait):
			}
		}

		now = clock.Now()
		if due(tok.lookupAt, now) {
			a.lookupToken(ctx, &tok)
		}
		if due(tok.renewAt, now) {
			a.renewToken(ctx, &tok)
		}
		if exp := tok.liveExpiry(); due(exp, clock.Now()) && ctx.Err() == nil {
			a.tokenExpired(&tok, "the token reached its expiry without a successful renewal",
				nil)
		}
		if due(tok.loginAt, clock.Now()) && ctx.Err() == nil && a.relogin(ctx, &tok) {
			refreshAt = clock.Now().Add(a.o.RefreshInterval)
		}
		if due(refreshAt, now) {
			err := a.refresh(ctx)
			refreshAt = clock.Now().Add(a.o.RefreshInterval)
			if errors.Is(err, vault.ErrPermissionDenied) && !tok.dead && a.client != nil {
				// Revoked or expired early? A lookup tells, and leads to a new login
				// where the auth method allows one.
				tok.lookupAt = clock.Now()
			}
		}
	}
}

// liveExpiry is the expiry still to watch for: none once the token is known dead.
func (t *tokenState) liveExpiry() time.Time {
	if t.dead {
		return time.Time{}
	}
	return t.expiry
}

// due reports whether a scheduled time (non-zero) has come.
func due(at, now time.Time) bool {
	return !at.IsZero() && !now.Before(at)
}

// earliest returns the earliest non-zero time; the first argument must be non-zero.
func earliest(first time.Time, rest ...time.Time) time.Time {
	soonest := first
	for _, t := range rest {
		if !t.IsZero() && t.Before(soonest) {
			soonest = t
		}
	}
	return soonest
}

// refresh re-reads the secret and rewrites the files that changed. A failure keeps
// the files as they are; Vault refusing (not merely being unreachable) marks the agent
// unhealthy until a later refresh succeeds. It returns the (redacted) failure.
func (a *agent) refresh(ctx context.Context) error {
	start := a.o.Clock.Now()
	res, err := a.fetch(ctx, a.log.V(1))
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		red := a.redact.err(err)
		a.log.Error(red, "refreshing the secrets failed; keeping the current files")
		if !isTransient(err) {
			a.o.Health.fetchFailed("refreshing the secrets failed: " + red.Error())
		}
		return red
	}
	written, err := a.write(res, a.log.V(1))
	if err != nil {
		red := a.redact.err(err)
		a.log.Error(red, "writing the refreshed files failed; keeping the current files")
		a.o.Health.fetchFailed("writing the refreshed files failed: " + red.Error())
		return red
	}
	a.o.Health.fetched(a.o.Clock.Now())
	if len(written) > 0 {
		a.log.Info("secrets changed; files rewritten", "written", written,
			"duration_ms", a.msSince(start))
		return nil
	}
	a.log.V(1).Info("secrets unchanged", "duration_ms", a.msSince(start))
	return nil
}
