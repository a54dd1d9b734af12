package loadgen

import (
	"slices"
	"time"
)

// Result summarises one load run.
type Result struct {
	// Requests counts answered requests, good or bad; Errors counts the bad ones.
	Requests, Errors int
	// FirstError is the first failure's message, for the report.
	FirstError string
	// Elapsed is the measured window, from the first scheduled send to the last answer.
	Elapsed time.Duration
	// SendLag is the open loop's worst delay between a request's due time and its send:
	// above a few milliseconds the generator itself (or the machine) fell behind.
	SendLag time.Duration
	// latencies holds every good request's latency, sorted once by finish.
	latencies []time.Duration
}

// Throughput is good answers per second over the window.
func (r Result) Throughput() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Requests-r.Errors) / r.Elapsed.Seconds()
}

// Quantile returns the q-quantile (0..1) of the good requests' latencies by the
// nearest-rank method, or 0 when there were none.
func (r Result) Quantile(q float64) time.Duration {
	n := len(r.latencies)
	if n == 0 {
		return 0
	}
	rank := int(q*float64(n)+0.999999) - 1
	rank = max(0, min(rank, n-1))
	return r.latencies[rank]
}

// Max is the slowest good request.
func (r Result) Max() time.Duration { return r.Quantile(1) }

// recorder collects samples from many goroutines through one channel-free slice per
// worker, merged by finish.
type recorder struct {
	latencies []time.Duration
	requests  int
	errors    int
	firstErr  string
}

func (c *recorder) add(d time.Duration, err error) {
	c.requests++
	if err != nil {
		c.errors++
		if c.firstErr == "" {
			c.firstErr = err.Error()
		}
		return
	}
	c.latencies = append(c.latencies, d)
}

// addErrors counts n failed requests, all with err.
func (c *recorder) addErrors(n int, err error) {
	if n <= 0 {
		return
	}
	c.requests += n
	c.errors += n
	if c.firstErr == "" {
		c.firstErr = err.Error()
	}
}

// finish merges the recorders into a Result over the window elapsed.
func finish(elapsed time.Duration, parts ...*recorder) Result {
	r := Result{Elapsed: elapsed}
	for _, p := range parts {
		r.Requests += p.requests
		r.Errors += p.errors
		if r.FirstError == "" {
			r.FirstError = p.firstErr
		}
		r.latencies = append(r.latencies, p.latencies...)
	}
	slices.Sort(r.latencies)
	return r
}

// Merge combines the results of runs against one target into one: their requests,
// errors and latencies, their windows added up, and the worst send lag.
func Merge(runs ...Result) Result {
	var m Result
	for _, r := range runs {
		m.Requests += r.Requests
		m.Errors += r.Errors
		if m.FirstError == "" {
			m.FirstError = r.FirstError
		}
		m.Elapsed += r.Elapsed
		m.SendLag = max(m.SendLag, r.SendLag)
		m.latencies = append(m.latencies, r.latencies...)
	}
	slices.Sort(m.latencies)
	return m
}
