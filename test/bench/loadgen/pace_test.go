package loadgen

import (
	"testing"
	"time"
)

func TestPacerNeverReturnsBeforeTheDueTime(t *testing.T) {
	pace := newPacer()
	defer pace.stop()
	start := time.Now()
	for i := range 50 {
		due := start.Add(time.Duration(i) * 300 * time.Microsecond)
		pace.until(due, nil, nil)
		if now := time.Now(); now.Before(due) {
			t.Fatalf("step %d returned %s before its due time", i, due.Sub(now))
		}
	}
	// A due time in the past returns at once.
	pace.until(start, nil, nil)
}

// BenchmarkPacerLateness reports how late the pacer wakes for 1 ms steps, the number
// the open loop adds to every latency it measures.
func BenchmarkPacerLateness(b *testing.B) {
	pace := newPacer()
	defer pace.stop()
	var late time.Duration
	for b.Loop() {
		due := time.Now().Add(time.Millisecond)
		pace.until(due, nil, nil)
		late += time.Since(due)
	}
	b.ReportMetric(float64(late.Microseconds())/float64(b.N), "µs-late/op")
}
