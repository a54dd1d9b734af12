package agent

import (
	"slices"
	"strings"
	"sync"
)

// minRedactLen is the shortest secret value the redactor looks for. Messages are built
// never to contain values; this is a second line of defence, and blanking every
// occurrence of, say, "5432" or "true" would mangle ordinary text.
const minRedactLen = 6

// redactor blanks known secrets (the token, every value read from Vault) from text
// before it is logged or written as a termination message.
type redactor struct {
	mu      sync.Mutex
	secrets map[string]struct{}
}

// add registers secrets to blank.
func (r *redactor) add(values ...string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.secrets == nil {
		r.secrets = map[string]struct{}{}
	}
	for _, v := range values {
		if len(v) >= minRedactLen {
			r.secrets[v] = struct{}{}
		}
	}
}

// text blanks every registered secret in s, longest first so that a secret containing
// another is blanked whole.
func (r *redactor) text(s string) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	list := make([]string, 0, len(r.secrets))
	for v := range r.secrets {
		list = append(list, v)
	}
	slices.SortFunc(list, func(a, b string) int { return len(b) - len(a) })
	for _, v := range list {
		s = strings.ReplaceAll(s, v, "<redacted>")
	}
	return s
}

// err returns err with its message redacted, nil for nil. errors.Is and errors.As
// still see the original chain.
func (r *redactor) err(err error) error {
	if err == nil {
		return nil
	}
	return &redactedError{msg: r.text(err.Error()), cause: err}
}

// redactedError carries a redacted message over the original error.
type redactedError struct {
	msg   string
	cause error
}

// Error returns the redacted message.
func (e *redactedError) Error() string { return e.msg }

// Unwrap returns the original error.
func (e *redactedError) Unwrap() error { return e.cause }
