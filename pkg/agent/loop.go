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
	// fileCheckAt is when the token file is next checked for a rotated token.
	fileCheckAt time.Time
	expiry      time.Time
	dead        bool
	// lookupRefused says the token died because Vault refused to look it up (it did
	// not know it), not because a renewal was refused or it expired: a read that Vault
	// then accepts with it is worth a new lookup.
	lookupRefused bool
	// creationTTL is the TTL the token started with; a renewal granting less than it
	// (and no more than RenewMargin) means the token is capped by its maximum TTL.
	creationTTL time.Duration
	// loginFailures counts failed logins since the last success, for the backoff.
	loginFailures int
}

// loop is agent mode after the first resolution: renew the token when due, watch for
// its expiry, and refresh the files every RefreshInterval, until ctx ends. The refresh
// runs in its own goroutine, so a slow or hung Vault read or decrypt (each request may
// take up to vault.DefaultTimeout, decrypts one after another) never delays a renewal;
// at most one refresh runs at a time, and the loop waits for it before returning.
func (a *agent) loop(ctx context.Context) error {
	clock := a.o.Clock
	var tok tokenState
	if a.client.Load() != nil {
		tok.lookupAt = clock.Now()
		if a.tokenFile != nil {
			tok.fileCheckAt = clock.Now().Add(tokenFileCheckInterval)
		}
	}
	refresh := refreshRun{at: clock.Now().Add(a.o.RefreshInterval)}

	for {
		if ctx.Err() != nil {
			return a.stop(&refresh)
		}
		now := clock.Now()
		next := earliest(refresh.at, tok.lookupAt, tok.renewAt, tok.loginAt,
			tok.fileCheckAt, tok.liveExpiry())
		if wait := next.Sub(now); next.IsZero() || wait > 0 {
			var timer <-chan time.Time // nil (never) when only a running refresh is awaited
			if !next.IsZero() {
				timer = clock.After(wait)
			}
			select {
			case <-ctx.Done():
				return a.stop(&refresh)
			case err := <-refresh.done:
				a.refreshEnded(&refresh, &tok, err)
			case <-timer:
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
			// Reads may have failed while the old token was dead: refresh at once.
			refresh.soon(clock.Now())
		}
		if due(tok.fileCheckAt, clock.Now()) && ctx.Err() == nil &&
			a.reloadTokenFile(ctx, &tok) {
			// New token, maybe new permissions: fetch the credentials with it at once.
			refresh.soon(clock.Now())
		}
		if due(refresh.at, clock.Now()) && ctx.Err() == nil {
			refresh.start(func() error { return a.refresh(ctx) })
		}
	}
}

// refreshRun is the one refresh that may be running. Only the loop's goroutine touches
// it; the refresh itself reports back through done.
type refreshRun struct {
	// at is when the next refresh starts; zero while one runs.
	at time.Time
	// done receives the running refresh's result; nil when none runs.
	done chan error
	// again asks for another refresh as soon as the running one ends.
	again bool
}

// start runs fn, the refresh, in its own goroutine.
func (r *refreshRun) start(fn func() error) {
	done := make(chan error, 1)
	r.at, r.done = time.Time{}, done
	go func() { done <- fn() }()
}

// soon asks for a refresh now, or right after the running one.
func (r *refreshRun) soon(now time.Time) {
	if r.done != nil {
		r.again = true
		return
	}
	r.at = now
}

// refreshEnded schedules the next refresh after one ended with err. Vault refusing
// the read makes the token suspect: a lookup tells whether it was revoked or expired
// early, and leads to a new login where the auth method allows one; a token file is
// re-read at once, since it may already hold the replacement.
func (a *agent) refreshEnded(r *refreshRun, tok *tokenState, err error) {
	now := a.o.Clock.Now()
	r.done, r.at = nil, now.Add(a.o.RefreshInterval)
	if r.again {
		r.again, r.at = false, now
	}
	if err == nil && tok.dead && tok.lookupRefused && a.client.Load() != nil {
		// Vault read with the token it had refused to look up (a restarted Vault that
		// did not have it yet, say): look it up again, to resume renewal and clear
		// Health if it is alive. At most one lookup per refresh; a token whose renewal
		// was refused stays expired.
		tok.lookupAt = now
		return
	}
	if !errors.Is(err, vault.ErrPermissionDenied) || a.client.Load() == nil {
		return
	}
	if !tok.dead {
		tok.lookupAt = now
	}
	a.recheckTokenFile(tok)
}

// stop waits for a running refresh, which ends promptly since its context is done
// (its requests are canceled; only the local file writes finish), and logs the stop.
func (a *agent) stop(r *refreshRun) error {
	if r.done != nil {
		<-r.done
		r.done = nil
	}
	a.log.Info("agent stopping")
	return nil
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

// earliest returns the earliest non-zero time, or zero when all are zero.
func earliest(times ...time.Time) time.Time {
	var soonest time.Time
	for _, t := range times {
		if !t.IsZero() && (soonest.IsZero() || t.Before(soonest)) {
			soonest = t
		}
	}
	return soonest
}

// refresh re-reads the secret and rewrites the files that changed; it runs beside the
// loop, touching only what is safe for concurrent use. A failure keeps
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
