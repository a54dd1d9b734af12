package loadgen

import (
	"context"
	"sync"
	"time"
)

// Closed runs a closed loop: workers goroutines each post, wait for the answer and post
// again, until duration has passed. Latency is from send to answer.
func Closed(ctx context.Context, t *Target, workers int, duration time.Duration) Result {
	ctx, cancel := context.WithTimeout(ctx, duration+requestTimeout)
	defer cancel()
	parts := make([]*recorder, workers)
	start := time.Now()
	stop := start.Add(duration)
	var wg sync.WaitGroup
	for i := range parts {
		parts[i] = &recorder{}
		wg.Add(1)
		go func(rec *recorder) {
			defer wg.Done()
			for time.Now().Before(stop) && ctx.Err() == nil {
				sent := time.Now()
				_, err := t.Do(ctx)
				rec.add(time.Since(sent), err)
			}
		}(parts[i])
	}
	wg.Wait()
	return finish(time.Since(start), parts...)
}
