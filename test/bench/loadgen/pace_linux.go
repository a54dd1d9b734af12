//go:build linux

package loadgen

import (
	"runtime"
	"time"

	"golang.org/x/sys/unix"
)

// pacer sleeps until a due time with a precision of a few microseconds.
//
// time.Sleep cannot pace an open loop: the Go runtime waits for timers in epoll with a
// millisecond timeout, so a sleep wakes up to a millisecond late (measured here: 0.54
// ms late at the median and 1.1 ms at worst for 2 ms steps). As latency runs from the
// due time, that lateness was added to every open-loop sample, to both webhooks alike,
// and the constant-answer floor read 0.85 ms at p50. nanosleep(2) on a thread of its
// own, with the thread's timer slack at its minimum, wakes 0.04 ms late on average;
// the pacer sleeps until spinWindow before the due time and spins from there, which
// brings that to a few microseconds (BenchmarkPacerLateness) for about 7% of a CPU
// at 500 requests a second.
type pacer struct {
	// slack is the thread's timer slack before, restored by stop; 0 when unknown.
	slack int
}

// newPacer locks the calling goroutine to its OS thread, which the pacer then blocks
// in nanosleep; call stop from the same goroutine when done.
func newPacer() pacer {
	runtime.LockOSThread()
	slack, err := unix.PrctlRetInt(unix.PR_GET_TIMERSLACK, 0, 0, 0, 0)
	if err != nil {
		slack = 0
	}
	// A 1 ns slack lets the kernel fire the timer on time instead of batching it with
	// others up to the default 50 µs later. Failing that, sleeps are a little later.
	_ = unix.Prctl(unix.PR_SET_TIMERSLACK, 1, 0, 0, 0)
	return pacer{slack: slack}
}

// spinWindow is how long before a due time the pacer stops sleeping and spins: more
// than a nanosleep's usual lateness here (40 to 70 µs).
const spinWindow = 150 * time.Microsecond

// maxNap is the longest single sleep, so that a stop is seen within it.
const maxNap = 20 * time.Millisecond

// until blocks until due, or returns at once when due has passed; it returns false,
// early, once stop is closed. Unless nil, last runs once sleeping is over, just
// before the spin: a check there costs the request nothing.
func (pacer) until(due time.Time, stop <-chan struct{}, last func()) bool {
	for {
		select {
		case <-stop:
			return false
		default:
		}
		wait := time.Until(due) - spinWindow
		if wait <= 0 {
			break
		}
		ts := unix.NsecToTimespec(int64(min(wait, maxNap)))
		// EINTR (a signal) just goes round again with the time left.
		_ = unix.Nanosleep(&ts, nil)
	}
	if last != nil {
		last()
	}
	for time.Now().Before(due) {
		// Spin: a nanosleep this close to the due time would wake after it.
	}
	return true
}

// stop restores the thread's timer slack and gives the thread back to the scheduler.
func (p pacer) stop() {
	if p.slack > 0 {
		_ = unix.Prctl(unix.PR_SET_TIMERSLACK, uintptr(p.slack), 0, 0, 0)
	}
	runtime.UnlockOSThread()
}
