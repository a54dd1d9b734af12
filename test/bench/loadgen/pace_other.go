//go:build !linux

package loadgen

import "time"

// pacer sleeps until a due time. Outside Linux it is time.Sleep, which may wake up to
// a millisecond late (see pace_linux.go); the benchmark itself runs on Linux only.
type pacer struct{}

// newPacer returns a pacer.
func newPacer() pacer { return pacer{} }

// until blocks until due, or returns at once when due has passed.
func (pacer) until(due time.Time) {
	if wait := time.Until(due); wait > 0 {
		time.Sleep(wait)
	}
}

// stop does nothing.
func (pacer) stop() {}
