package loadgen

import (
	"context"
	"sync"
	"time"
)

// openLanes is the number of connections the open loop spreads its requests over,
// each driven by its own thread. Request i goes to lane i mod openLanes, so at 500
// rps a lane sends every 16 ms: an answer later than that delays the lane's next
// send, which is then charged to that request too (latency runs from the due time).
const openLanes = 8

// Open runs an open loop: request i is due at start + i/rate, sent then (or as soon as
// its lane is free), and its latency runs from the due time to the answer. Each lane
// sleeps until its next request is due with nanosleep(2) and waits for the answer in
// read(2), on a thread of its own (see lane and pacer).
func Open(ctx context.Context, t *Target, rate float64, duration time.Duration) Result {
	ctx, cancel := context.WithTimeout(ctx, duration+requestTimeout)
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
			return finish(0, &recorder{requests: 1, errors: 1, firstErr: err.Error()})
		}
		lanes = append(lanes, l)
	}

	recs := make([]*recorder, len(lanes))
	lags := make([]time.Duration, len(lanes))
	var wg sync.WaitGroup
	start := time.Now()
	for k, l := range lanes {
		recs[k] = &recorder{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			pace := newPacer()
			defer pace.stop()
			for i := k; i < total && ctx.Err() == nil; i += len(lanes) {
				due := start.Add(time.Duration(i) * interval)
				pace.until(due)
				lags[k] = max(lags[k], time.Since(due))
				_, err := l.do(t.next())
				recs[k].add(time.Since(due), err)
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
