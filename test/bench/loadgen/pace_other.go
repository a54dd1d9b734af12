//go:build !linux

package loadgen

import "time"

// pacer sleeps until a due time. Outside Linux it is time.Sleep, which may wake up to
// a millisecond late (see pace_linux.go); the benchmark itself runs on Linux only.
type pacer struct{}

// newPacer returns a pacer.
func newPacer() pacer { return pacer{} }

// until blocks until due, or returns at once when due has passed; it returns false,
// early, once stop is closed. Unless nil, last runs when the wait is over.
func (pacer) until(due time.Time, stop <-chan struct{}, last func()) bool {
	defer func() {
		if last != nil {
			last()
		}
	}()
	wait := time.Until(due)
	if wait <= 0 {
		return true
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-stop:
		return false
	case <-t.C:
		return true
	}
}

// stop does nothing.
func (pacer) stop() {}
