package agent

import (
	"context"
	"time"

	"github.com/rasa-vault-webhook/rasa-vault-webhook/pkg/vault"
)

// revokeTimeout bounds the revocation on exit, so a pod told to stop still stops
// within a second even when Vault does not answer.
const revokeTimeout = 500 * time.Millisecond

// reloginRetry is the backoff between failed logins after the first token died: from
// 1 s doubling to 30 s, without an end, because a login can start working again at
// any time (Vault back up, its configuration restored) and nothing else will fix the
// pod. Health reports unhealthy meanwhile.
func reloginRetry() vault.RetryPolicy {
	return vault.RetryPolicy{Attempts: 1 << 30, Initial: time.Second, Max: 30 * time.Second}
}

// login obtains a token with the Kubernetes auth method and logs its lifetime.
func (a *agent) login(ctx context.Context) error {
	start := a.o.Clock.Now()
	info, err := a.client.Load().LoginKubernetes(ctx, a.o.Auth.login())
	if err != nil {
		return err
	}
	a.log.Info("logged in to vault", "method", AuthKubernetes, "role", a.o.Auth.Role,
		"ttl_s", int64(info.TTL.Seconds()), "renewable", info.Renewable,
		"duration_ms", a.msSince(start))
	return nil
}

// relogin replaces a token that can no longer be renewed. On failure it schedules
// another try with backoff and reports unhealthy; on success it schedules the new
// token's renewal. It reports whether the login succeeded; the loop then refreshes the
// files at once, since reads may have failed while the old token was dead.
func (a *agent) relogin(ctx context.Context, tok *tokenState) bool {
	tok.loginAt = time.Time{}
	start := a.o.Clock.Now()
	info, err := a.client.Load().LoginKubernetes(ctx, a.o.Auth.login())
	if err != nil {
		if ctx.Err() != nil {
			return false
		}
		tok.loginFailures++
		wait := reloginRetry().Delay(tok.loginFailures)
		tok.loginAt = a.o.Clock.Now().Add(wait)
		red := a.redact.err(err)
		a.log.Error(red, "logging in to vault again failed; retrying",
			"attempt", tok.loginFailures, "retry_in_ms", wait.Milliseconds())
		if tok.dead {
			a.o.Health.tokenDead("vault token expired and logging in again failed: " +
				red.Error())
		}
		return false
	}

	now := a.o.Clock.Now()
	tok.loginFailures, tok.dead = 0, false
	tok.schedule(now, info)
	a.o.Health.tokenAlive(tok.expiry)
	a.log.Info("logged in to vault again", "method", AuthKubernetes, "role", a.o.Auth.Role,
		"ttl_s", int64(info.TTL.Seconds()), "renewable", info.Renewable,
		"duration_ms", a.msSince(start))
	return true
}

// revokeOnExit revokes the agent's token when asked to, within revokeTimeout.
func (a *agent) revokeOnExit() {
	client := a.client.Load()
	if !a.o.RevokeOnExit || client == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), revokeTimeout)
	defer cancel()
	if err := client.RevokeSelf(ctx); err != nil {
		a.log.Error(a.redact.err(err), "revoking the vault token on exit failed")
		return
	}
	a.log.Info("revoked the vault token on exit", "method", a.authMethod())
}
