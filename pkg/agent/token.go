package agent

import (
	"context"
	"errors"
	"time"

	"github.com/rasa-vault-webhook/rasa-vault-webhook/pkg/vault"
)

// isTransient reports an error worth trying again later: Vault unreachable.
func isTransient(err error) bool { return vault.IsRetryable(err) }

// schedule records a token's lifetime as of now: renewable expiring tokens get a
// renewal on Rasa's schedule, others are only watched for expiry.
func (t *tokenState) schedule(now time.Time, info vault.TokenInfo) {
	t.renewAt, t.expiry = time.Time{}, time.Time{}
	t.creationTTL = info.CreationTTL
	if info.TTL > 0 {
		t.expiry = now.Add(info.TTL)
	}
	if info.NeedsRenewal() {
		t.renewAt = now.Add(vault.RenewDelay(info.TTL))
	}
}

// lookupToken learns the token's TTL and schedules its renewal.
func (a *agent) lookupToken(ctx context.Context, tok *tokenState) {
	tok.lookupAt = time.Time{}
	info, err := a.client.Load().LookupSelf(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return
		}
		if isTransient(err) {
			tok.lookupAt = a.o.Clock.Now().Add(lookupRetryLater)
			a.log.Error(a.redact.err(err), "looking up the vault token failed; retrying later",
				"retry_in_ms", lookupRetryLater.Milliseconds())
			return
		}
		a.tokenExpired(tok, "vault refused the token lookup", err)
		tok.lookupRefused = true
		return
	}

	if tok.dead {
		tok.dead, tok.lookupRefused = false, false
		a.log.Info("vault token accepted again after it was refused")
	}
	tok.schedule(a.o.Clock.Now(), info)
	switch {
	case info.NeedsRenewal():
		a.log.Info("vault token renewal scheduled", "ttl_s", int64(info.TTL.Seconds()),
			"renew_in_ms", vault.RenewDelay(info.TTL).Milliseconds())
	case info.TTL > 0:
		a.log.Info("vault token is not renewable; it will expire",
			"ttl_s", int64(info.TTL.Seconds()))
	default:
		a.log.Info("vault token does not expire; no renewal needed")
	}
	a.o.Health.tokenAlive(tok.expiry)
}

// renewToken renews the token, retrying transient failures with backoff but never past
// its expiry. A refused renewal, or one that cannot succeed before expiry, marks the
// token expired.
func (a *agent) renewToken(ctx context.Context, tok *tokenState) {
	tok.renewAt = time.Time{}
	policy := vault.RenewRetry()
	for failures := 0; ; {
		ttl, err := a.client.Load().RenewSelf(ctx)
		if err == nil {
			a.renewed(tok, ttl)
			return
		}
		if ctx.Err() != nil {
			return
		}
		if !isTransient(err) {
			a.tokenExpired(tok, "vault refused the renewal", err)
			return
		}
		failures++
		now := a.o.Clock.Now()
		wait, ok := policy.Next(failures, now, tok.expiry)
		if !ok {
			a.renewalExhausted(tok, now, err)
			return
		}
		a.log.Info("renewing the vault token failed; retrying", "attempt", failures,
			"retry_in_ms", wait.Milliseconds(), "error", a.redact.text(err.Error()))
		select {
		case <-ctx.Done():
			return
		case <-a.o.Clock.After(wait):
		}
	}
}

// renewed records a successful renewal and schedules the next from the granted TTL,
// so a shorter grant simply brings the next renewal closer. A grant capped by the
// token's maximum TTL (no more than RenewMargin and less than the token started with,
// or nothing at all) cannot be extended further: Kubernetes auth logs in again at
// once, token auth keeps renewing until the token dies and then reports it expired.
func (a *agent) renewed(tok *tokenState, ttl time.Duration) {
	now := a.o.Clock.Now()
	if ttl <= 0 && tok.expiry.IsZero() {
		a.log.Info("vault token renewed without expiry; no further renewal needed")
		a.o.Health.tokenAlive(tok.expiry)
		return
	}
	capped := ttl <= 0 || (ttl <= vault.RenewMargin && ttl < tok.creationTTL)
	if ttl > 0 {
		tok.expiry = now.Add(ttl)
		tok.renewAt = now.Add(vault.RenewDelay(ttl))
	}
	a.o.Health.tokenAlive(tok.expiry)
	if capped && a.o.Auth.kubernetes() {
		tok.renewAt, tok.loginAt = time.Time{}, now
		a.log.Info("vault token reached its maximum TTL; logging in again",
			"ttl_s", int64(ttl.Seconds()))
		return
	}
	if ttl <= 0 {
		a.log.Info("vault token reached its maximum TTL; it will expire",
			"expires_in_ms", tok.expiry.Sub(now).Milliseconds())
		return
	}
	a.log.V(1).Info("vault token renewed", "ttl_s", int64(ttl.Seconds()),
		"next_renewal_in_ms", vault.RenewDelay(ttl).Milliseconds())
}

// renewalExhausted handles a series of failed renewals: when the token still has time
// left, try again half-way to its expiry; otherwise it is as good as expired.
func (a *agent) renewalExhausted(tok *tokenState, now time.Time, err error) {
	left := tok.expiry.Sub(now)
	if tok.expiry.IsZero() || left > 2*vault.RenewFloor {
		next := left / 2
		if tok.expiry.IsZero() {
			next = lookupRetryLater
		}
		tok.renewAt = now.Add(next)
		a.log.Error(a.redact.err(err), "renewing the vault token failed; trying again later",
			"retry_in_ms", next.Milliseconds())
		return
	}
	a.tokenExpired(tok, "renewal kept failing until the token expired", err)
}

// tokenExpired marks the token dead: renewal stops, the files stay as they are, and
// Health reports the reason. With Kubernetes auth a login is due at once; with a token
// file the file is re-read at once (it may hold a rotated token); otherwise token auth
// keeps running so the pod's state stays visible.
func (a *agent) tokenExpired(tok *tokenState, reason string, err error) {
	tok.dead, tok.renewAt, tok.lookupRefused = true, time.Time{}, false
	if err == nil {
		err = errors.New(reason)
	}
	a.log.Error(a.redact.err(err), "vault token expired", "reason", reason,
		"method", a.authMethod())
	a.o.Health.tokenDead("vault token expired: " + reason)
	if a.o.Auth.kubernetes() && tok.loginAt.IsZero() {
		tok.loginAt = a.o.Clock.Now()
	}
	a.recheckTokenFile(tok)
}
