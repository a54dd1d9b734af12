package vault

import (
	"math/rand/v2"
	"time"
)

// RetryPolicy is a bounded exponential backoff with jitter: the wait after the n-th
// failed attempt is min(Initial*2^(n-1), Max), of which the upper half is random.
// Attempts bounds the number of tries; a deadline (e.g. the token's expiry) can cut
// the sequence short.
type RetryPolicy struct {
	// Attempts is the total number of tries, the first included.
	Attempts int
	// Initial is the base wait after the first failure.
	Initial time.Duration
	// Max caps the base wait.
	Max time.Duration
	// Rand returns a number in [0, 1) for the jitter; nil means math/rand/v2.
	Rand func() float64
}

// RenewRetry is the policy for a failed token renewal: Rasa tries 5 times 1 s apart;
// this tries 5 times too, but starts at 250 ms and doubles up to 2 s, so a brief
// network blip costs little and a longer one still gets all five tries in about 5 s.
func RenewRetry() RetryPolicy {
	return RetryPolicy{Attempts: 5, Initial: 250 * time.Millisecond, Max: 2 * time.Second}
}

// Delay returns the wait after the given number of failed attempts (1 for the first
// failure): a base of min(Initial*2^(failures-1), Max), half fixed and half jitter, so
// the result lies in [base/2, base).
func (p RetryPolicy) Delay(failures int) time.Duration {
	if failures < 1 {
		failures = 1
	}
	base := p.Initial
	for i := 1; i < failures && base < p.Max; i++ {
		base *= 2
	}
	if p.Max > 0 && base > p.Max {
		base = p.Max
	}
	if base <= 0 {
		return 0
	}
	r := rand.Float64
	if p.Rand != nil {
		r = p.Rand
	}
	jitter := r()
	if jitter < 0 || jitter >= 1 {
		jitter = 0
	}
	half := base / 2
	return half + time.Duration(jitter*float64(base-half))
}

// Next reports whether another attempt is allowed after the given number of failed
// attempts and how long to wait before it. It says no when Attempts are used up or
// when the wait would end at or after deadline (a zero deadline means none): a token
// renewal started after expiry cannot succeed.
func (p RetryPolicy) Next(failures int, now, deadline time.Time) (time.Duration, bool) {
	if failures >= p.Attempts {
		return 0, false
	}
	wait := p.Delay(failures)
	if !deadline.IsZero() && !now.Add(wait).Before(deadline) {
		return 0, false
	}
	return wait, true
}
