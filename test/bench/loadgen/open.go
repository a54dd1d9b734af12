package loadgen

import (
	"context"
	"errors"
	"math"
	"sync"
	"time"
)

// openLanes is the number of connections the open loop spreads its requests over,
// each driven by its own thread. Request i goes to lane i mod openLanes, so at 500
// rps a lane sends every 16 ms: an answer later than that delays the lane's next
// send, which is then charged to that request too (latency runs from the due time).
const openLanes = 8

// errNotSent counts a request that was due but never sent: the open loop's time ran
// out (or it was cancelled) while its lane waited for an earlier answer.
var errNotSent = errors.New("not sent: the open loop ended first")

// Open runs an open loop: request i is due at start + i/rate, sent then (or as soon as
// its lane is free), and its latency runs from the due time to the answer. Each lane
// sleeps until its next request is due with nanosleep(2) and waits for the answer in
// read(2), on a thread of its own (see lane and pacer). Every due request counts: one
// that fails, times out (requestTimeout) or is never sent is an error. Open returns
// by its connections' setup (at most requestTimeout) plus duration plus
// requestTimeout, or soon after ctx ends.
func Open(ctx context.Context, t *Target, rate float64, duration time.Duration) Result {
	return openFor(ctx, t, rate, duration, requestTimeout)
}

// openFor is Open with timeout in place of requestTimeout.
func openFor(ctx context.Context, t *Target, rate float64, duration, timeout time.Duration,
) Result {
	total := dueIn(duration, rate)
	if total == 0 {
		return Result{}
	}
	interval := time.Duration(float64(time.Second) / rate)
	lanes, err := openLanesFor(ctx, t, timeout)
	defer func() {
		for _, l := range lanes {
			l.close()
		}
	}()
	if err != nil {
		return failAll(total, err)
	}

	ctx, cancel := context.WithTimeout(ctx, duration+timeout)
	defer cancel()
	defer interruptOn(ctx, lanes)()

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
			lags[k] = runLane(ctx, l, recs[k], laneRun{t: t, first: k, step: len(lanes),
				total: total, start: start, interval: interval, timeout: timeout, end: end})
		}()
	}
	wg.Wait()
	res := finish(time.Since(start), recs...)
	for _, lag := range lags {
		res.SendLag = max(res.SendLag, lag)
	}
	return res
}

// dueIn is the number of requests due in duration at rate: those due at i/rate for
// i = 0, 1, … before duration ends.
func dueIn(duration time.Duration, rate float64) int {
	n := math.Ceil(duration.Seconds()*rate - 1e-9)
	if !(n > 0) { // also NaN
		return 0
	}
	return int(min(n, math.MaxInt32))
}

// openLanesFor makes the lanes and connects them, all within timeout and ctx; the
// lanes made are returned even on an error, to be closed.
func openLanesFor(ctx context.Context, t *Target, timeout time.Duration) ([]*lane, error) {
	lanes := make([]*lane, 0, openLanes)
	for range openLanes {
		l, err := newLane(t)
		if err != nil {
			return lanes, err
		}
		lanes = append(lanes, l)
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	defer interruptOn(ctx, lanes)()
	deadline, _ := ctx.Deadline()
	for _, l := range lanes {
		if err := l.dial(ctx, deadline); err != nil {
			return lanes, err
		}
	}
	return lanes, nil
}

// interruptOn wakes lanes once ctx ends: a lane blocked in connect, in read(2) or
// asleep in the pacer does not see ctx by itself. The returned func undoes it.
func interruptOn(ctx context.Context, lanes []*lane) func() bool {
	return context.AfterFunc(ctx, func() {
		for _, l := range lanes {
			l.interrupt()
		}
	})
}

// laneRun is what one lane sends: requests first, first+step, … below total.
type laneRun struct {
	t                  *Target
	first, step, total int
	start              time.Time
	interval, timeout  time.Duration
	end                time.Time
}

// runLane sends the lane's requests, each when due, records them in rec, and returns
// the worst send lag: how late a request went out after the later of its due time and
// the moment its lane was free, which is the generator's own doing.
func runLane(ctx context.Context, l *lane, rec *recorder, r laneRun) time.Duration {
	pace := newPacer()
	defer pace.stop()
	var lag time.Duration
	i := r.first
	for ; i < r.total && ctx.Err() == nil; i += r.step {
		due := r.start.Add(time.Duration(i) * r.interval)
		ready := time.Now()
		if !pace.until(due, ctx.Done(), l.dropIfClosed) {
			break
		}
		if ready.Before(due) {
			ready = due
		}
		lag = max(lag, time.Since(ready))
		deadline := time.Now().Add(r.timeout)
		if deadline.After(r.end) {
			deadline = r.end
		}
		_, err := l.do(ctx, r.t.next(), deadline)
		rec.add(time.Since(due), err)
	}
	if i < r.total {
		rec.addErrors((r.total-i+r.step-1)/r.step, errNotSent)
	}
	return lag
}

// failAll is the result of an open loop whose total requests all failed with err.
func failAll(total int, err error) Result {
	rec := &recorder{}
	rec.addErrors(total, err)
	return finish(0, rec)
}
