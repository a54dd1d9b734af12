package agent

import "time"

// Clock is the agent's time source. Every wait of the renewal loop and of the retries
// goes through After, so tests can run the loop without waiting.
type Clock interface {
	// Now returns the current time.
	Now() time.Time
	// After delivers the time once d has passed.
	After(d time.Duration) <-chan time.Time
}

// RealClock is the wall clock.
type RealClock struct{}

// Now returns time.Now().
func (RealClock) Now() time.Time { return time.Now() }

// After returns time.After(d).
func (RealClock) After(d time.Duration) <-chan time.Time { return time.After(d) }
