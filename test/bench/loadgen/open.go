package loadgen

import (
	"context"
	"sync"
	"time"
)

// maxInFlight bounds the open loop's concurrent requests so a stalled server cannot make
// the generator spawn without limit; at 500 rps it allows a 4 s stall before sends wait,
// and a wait still counts against the request (latency runs from its scheduled time).
const maxInFlight = 2000

// Open runs an open loop: request i is due at start + i/rate, sent then (or as soon as
// the generator can), and its latency runs from the due time to the answer.
func Open(ctx context.Context, t *Target, rate float64, duration time.Duration) Result {
	ctx, cancel := context.WithTimeout(ctx, duration+requestTimeout)
	defer cancel()
	interval := time.Duration(float64(time.Second) / rate)
	total := int(duration.Seconds() * rate)
	slots := make(chan struct{}, maxInFlight)

	var mu sync.Mutex
	rec := &recorder{}
	var wg sync.WaitGroup
	var lag time.Duration
	pace := newPacer()
	defer pace.stop()
	start := time.Now()
	for i := 0; i < total && ctx.Err() == nil; i++ {
		due := start.Add(time.Duration(i) * interval)
		pace.until(due)
		slots <- struct{}{}
		lag = max(lag, time.Since(due))
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := t.Do(ctx)
			took := time.Since(due)
			<-slots
			mu.Lock()
			rec.add(took, err)
			mu.Unlock()
		}()
	}
	wg.Wait()
	res := finish(time.Since(start), rec)
	res.SendLag = lag
	return res
}
