package inject

import (
	"errors"
	"strings"
)

// Denial is the error returned when the pod or its ConfigMap is wrong, as opposed to an
// internal failure. The admission handler answers it with 403 and Error() as the message.
// Every problem names the field and the fix and never carries a secret value.
type Denial struct {
	// Problems lists every problem found, in a stable order.
	Problems []string
}

// Error joins all problems into one line, the form kubectl prints after
// "denied the request:".
func (d *Denial) Error() string {
	return strings.Join(d.Problems, "; ")
}

// IsDenial reports whether err is, or wraps, a *Denial, and returns it.
func IsDenial(err error) (*Denial, bool) {
	var d *Denial
	if errors.As(err, &d) {
		return d, true
	}
	return nil, false
}

// deny builds a *Denial from one or more problems.
func deny(problems ...string) *Denial {
	return &Denial{Problems: problems}
}
