package loadgen

import (
	"context"
	"errors"
	"sync"
	"time"
)

// openLanes is the number of connections the open loop spreads its requests over,
// each driven by its own thread. Request i goes to lane i mod openLanes, so at 500
// rps a lane sends every 16 ms: an answer later than that delays the lane's next
// send, which is then charged to that request too (latency runs from the due time).
const openLanes = 8

// errNotSent counts a request that was due but never sent: the open loop's time ran
// out while its lane waited for an earlier answer.
var errNotSent = errors.New("not sent: the open loop's time ran out first")

// Open runs an open loop: request i is due at start + i/rate, sent then (or as soon as
// its lane is free), and its latency runs from the due time to the answer. Each lane
// sleeps until its next request is due with nanosleep(2) and waits for the answer in
// read(2), on a thread of its own (see lane and pacer). Every due request counts: one
// that fails, times out (requestTimeout) or is never sent is an error. Open returns
// by duration + requestTimeout, or soon after ctx ends.
func Open(ctx context.Context, t *Target, rate float64, duration time.Duration) Result {
	return openFor(ctx, t, rate, duration, requestTimeout)
}

// openFor is Open with timeout in place of requestTimeout.
func openFor(ctx context.Context, t *Target, rate float64, duration, timeout time.Duration,
) Result {
	ctx, cancel := context.WithTimeout(ctx, duration+timeout)
	defer cancel()
	interval := time.Duration(float64(time.Second) / rate)
	total := int(duration.Seconds() * rate)

	lanes := make([]*lane, 0, openLanes)
	defer func() {
		for _, l := range lanes {
			l.close()
		}
	}()
	for range openLanes {
		l, err := newLane(t)
		if err != nil {
			return finish(0, &recorder{requests: total, errors: total, firstErr: err.Error()})
		}
		lanes = append(lanes, l)
	}
	// A lane blocked in read(2) does not see ctx end: wake it.
	stop := context.AfterFunc(ctx, func() {
		for _, l := range lanes {
			l.interrupt()
		}
	})
	defer stop()

	recs := make([]*recorder, len(lanes))
	lags := make([]time.Duration, len(lanes))
	var wg sync.WaitGroup
	start := time.Now()
	end, _ := ctx.Deadline()
	for k, l := range lanes {
		recs[k] = &recorder{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			pace := newPacer()
			defer pace.stop()
			i := k
			for ; i < total && ctx.Err() == nil; i += len(lanes) {
				due := start.Add(time.Duration(i) * interval)
				// The generator's own lateness counts as send lag only when the lane
				// was free in time; waiting for a late answer is the server's.
				free := time.Now().Before(due)
				pace.until(due)
				if free {
					lags[k] = max(lags[k], time.Since(due))
				}
				deadline := time.Now().Add(timeout)
				if deadline.After(end) {
					deadline = end
				}
				_, err := l.do(t.next(), deadline)
				recs[k].add(time.Since(due), err)
			}
			for ; i < total; i += len(lanes) {
				recs[k].add(0, errNotSent)
			}
		}()
	}
	wg.Wait()
	res := finish(time.Since(start), recs...)
	for _, lag := range lags {
		res.SendLag = max(res.SendLag, lag)
	}
	return res
}
