package agent

import (
	"context"
	"fmt"
	"time"

	"github.com/rasa-vault-webhook/rasa-vault-webhook/pkg/vault"
	"github.com/rasa-vault-webhook/rasa-vault-webhook/pkg/version"
)

// initRetry is the backoff while Vault is unreachable at start: 500 ms doubling up to
// 5 s, about 15 tries in DefaultInitTimeout. The attempt count is only a safety bound;
// InitTimeout is what ends the retries in practice.
func initRetry() vault.RetryPolicy {
	return vault.RetryPolicy{Attempts: 100, Initial: 500 * time.Millisecond, Max: 5 * time.Second}
}

// Run resolves the endpoints file into OutputDir. With Once it returns after the
// first resolution; otherwise it keeps the token alive and refreshes the files until
// ctx ends, and returns nil then. An error means nothing was written in this run; its
// one-line message (also written to TerminationMessagePath) names the cause and fix
// and never holds a token or secret value.
func Run(ctx context.Context, opts Options) error {
	o, optErr := opts.withDefaults()
	a := &agent{o: o, log: o.Logger, redact: &redactor{}}
	if optErr != nil {
		return a.fail(fmt.Errorf("invalid agent options: %w", optErr))
	}
	mode := "agent"
	if o.Once {
		mode = "init"
	}
	a.log.Info("agent starting", "version", version.Version, "commit", version.Commit,
		"mode", mode, "source_dir", o.SourceDir,
		"endpoints_file", o.EndpointsFile, "output_dir", o.OutputDir,
		"copy_others", o.CopyOthers, "init_timeout_ms", o.InitTimeout.Milliseconds(),
		"refresh_interval_ms", o.RefreshInterval.Milliseconds())

	start := o.Clock.Now()
	if err := a.load(); err != nil {
		return a.fail(err)
	}
	if err := a.initialResolve(ctx); err != nil {
		if !o.Once && ctx.Err() != nil {
			a.log.Info("agent stopping before the first resolution")
			return nil
		}
		return a.fail(err)
	}
	a.log.Info("endpoints file resolved", "path", o.outputPath(), "references", len(a.refs),
		"duration_ms", a.msSince(start))
	if o.Once {
		if o.Auth.kubernetes() {
			a.revokeOnExit()
		}
		return nil
	}
	err := a.loop(ctx)
	a.revokeOnExit()
	return err
}

// loginAndFetch logs in first when the auth method needs it and has not yet.
func (a *agent) loginAndFetch(ctx context.Context) (resolution, error) {
	if a.client.Load() != nil && a.o.Auth.kubernetes() && !a.loggedIn {
		if err := a.login(ctx); err != nil {
			return resolution{}, err
		}
		a.loggedIn = true
	}
	return a.fetch(ctx, a.log)
}

// initialResolve fetches and writes once, retrying while Vault is unreachable until
// InitTimeout passes: the last try is the last one whose backoff ends before then.
// Other failures (denied, missing, malformed) end it at once.
func (a *agent) initialResolve(parent context.Context) error {
	ctx, cancel := context.WithTimeout(parent, a.o.InitTimeout)
	defer cancel()
	deadline := a.o.Clock.Now().Add(a.o.InitTimeout)
	policy := initRetry()

	for failures := 0; ; {
		res, err := a.loginAndFetch(ctx)
		if err == nil {
			if _, err := a.write(res, a.log); err != nil {
				return err
			}
			a.o.Health.fetched(a.o.Clock.Now())
			return nil
		}
		if parent.Err() != nil {
			return fmt.Errorf("stopped before the first resolution: %w", parent.Err())
		}
		if !vault.IsRetryable(err) {
			return err
		}
		failures++
		wait, ok := policy.Next(failures, a.o.Clock.Now(), deadline)
		if !ok || ctx.Err() != nil {
			return fmt.Errorf("gave up after %d attempts in %s (the init timeout): %w",
				failures, a.o.InitTimeout, err)
		}
		a.log.Info("vault unreachable; retrying", "attempt", failures,
			"retry_in_ms", wait.Milliseconds(), "error", a.redact.text(err.Error()))
		select {
		case <-ctx.Done():
			if parent.Err() != nil {
				return fmt.Errorf("stopped before the first resolution: %w", parent.Err())
			}
			return fmt.Errorf("gave up after %d attempts in %s (the init timeout): %w",
				failures, a.o.InitTimeout, err)
		case <-a.o.Clock.After(wait):
		}
	}
}

// fail logs err, writes it as the termination message and returns it, all redacted.
func (a *agent) fail(err error) error {
	red := a.redact.err(err)
	a.log.Error(red, "agent failed")
	if werr := writeTerminationMessage(a.o.TerminationMessagePath, red.Error()); werr != nil {
		a.log.V(1).Info("could not write the termination message",
			"path", a.o.TerminationMessagePath, "error", werr.Error())
	}
	return red
}
