package vault

import (
	"testing"
	"time"
)

func fixedRand(v float64) func() float64 { return func() float64 { return v } }

func TestRetryDelayDoublesFromInitialUpToMax(t *testing.T) {
	p := RetryPolicy{Attempts: 10, Initial: 250 * time.Millisecond, Max: 2 * time.Second}
	tests := []struct {
		name     string
		failures int
		jitter   float64
		want     time.Duration
	}{
		{"the first failure waits half the initial base without jitter", 1, 0,
			125 * time.Millisecond},
		{"the second failure doubles the base", 2, 0, 250 * time.Millisecond},
		{"the third failure doubles again", 3, 0, 500 * time.Millisecond},
		{"the fourth failure reaches the cap", 4, 0, time.Second},
		{"later failures stay at the cap", 9, 0, time.Second},
		{"a jitter of one half adds a quarter of the base", 1, 0.5, 187500 * time.Microsecond},
		{"jitter near one stays under the base", 4, 0.999, 1999 * time.Millisecond},
		{"a zero failure count is treated as the first", 0, 0, 125 * time.Millisecond},
		{"a jitter source out of range is ignored", 2, 7, 250 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := p
			q.Rand = fixedRand(tt.jitter)
			if got := q.Delay(tt.failures); got != tt.want {
				t.Errorf("Delay(%d) with jitter %v = %s, want %s", tt.failures, tt.jitter,
					got, tt.want)
			}
		})
	}
}

func TestRetryDelayWithDefaultRandomnessStaysInItsBand(t *testing.T) {
	p := RenewRetry()
	for failures := 1; failures <= 6; failures++ {
		base := p.Initial << (failures - 1)
		if base > p.Max {
			base = p.Max
		}
		for i := 0; i < 200; i++ {
			d := p.Delay(failures)
			if d < base/2 || d >= base {
				t.Fatalf("Delay(%d) = %s, want in [%s, %s)", failures, d, base/2, base)
			}
		}
	}
}

func TestRetryNextStopsAtAttemptsAndDeadline(t *testing.T) {
	now := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	p := RetryPolicy{Attempts: 5, Initial: 250 * time.Millisecond, Max: 2 * time.Second,
		Rand: fixedRand(0)}
	tests := []struct {
		name     string
		failures int
		deadline time.Time
		wantWait time.Duration
		wantOK   bool
	}{
		{"after one failure with no deadline it retries", 1, time.Time{},
			125 * time.Millisecond, true},
		{"after four failures of five it retries once more", 4, time.Time{}, time.Second, true},
		{"after five failures of five it gives up", 5, time.Time{}, 0, false},
		{"a deadline far away does not matter", 2, now.Add(time.Minute),
			250 * time.Millisecond, true},
		{"a wait ending at the deadline is refused", 2, now.Add(250 * time.Millisecond), 0,
			false},
		{"a deadline already passed is refused", 1, now.Add(-time.Second), 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wait, ok := p.Next(tt.failures, now, tt.deadline)
			if wait != tt.wantWait || ok != tt.wantOK {
				t.Errorf("Next(%d) = (%s, %v), want (%s, %v)", tt.failures, wait, ok,
					tt.wantWait, tt.wantOK)
			}
		})
	}
}

func TestRenewRetryMatchesTheDocumentedPolicy(t *testing.T) {
	p := RenewRetry()
	if p.Attempts != 5 || p.Initial != 250*time.Millisecond || p.Max != 2*time.Second {
		t.Errorf("RenewRetry() = %+v, want 5 attempts from 250ms capped at 2s", p)
	}
	total := time.Duration(0)
	q := p
	q.Rand = fixedRand(0.999999)
	for f := 1; f < p.Attempts; f++ {
		total += q.Delay(f)
	}
	if total > 5*time.Second {
		t.Errorf("worst-case wait across all retries = %s, want at most 5s", total)
	}
}
