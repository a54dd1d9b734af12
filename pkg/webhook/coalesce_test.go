package webhook

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	"github.com/rasa-vault-webhook/rasa-vault-webhook/pkg/inject"
)

// When a cache entry expires under load, every review in flight misses at once; they
// must share one GET instead of queueing on the rate limiter and timing out.
func TestConcurrentMissesForOneConfigMapShareOneGET(t *testing.T) {
	pod, cm := chartFixture(t)
	var gets atomic.Int64
	release := make(chan struct{})
	api := fake.NewClientBuilder().WithObjects(cm).WithInterceptorFuncs(interceptor.Funcs{
		Get: func(ctx context.Context, c client.WithWatch, key client.ObjectKey,
			obj client.Object, opts ...client.GetOption) error {
			gets.Add(1)
			<-release // hold the first GET until every review has arrived
			return c.Get(ctx, key, obj, opts...)
		},
	}).Build()
	h := &Handler{Reader: clientReader{api}, Cache: NewConfigMapCache(),
		Options: inject.DefaultOptions()}

	const reviews = 20
	answers := make([]string, reviews)
	var wg sync.WaitGroup
	for i := range reviews {
		wg.Add(1)
		go func() {
			defer wg.Done()
			answers[i] = answer(t, h, pod)
		}()
	}
	time.Sleep(200 * time.Millisecond) // let every review reach the lookup
	close(release)
	wg.Wait()

	if got := gets.Load(); got != 1 {
		t.Errorf("GETs = %d for %d concurrent reviews; want 1", got, reviews)
	}
	for i, a := range answers {
		if a != "patched" {
			t.Errorf("review %d answered %q; want a patch", i, a)
		}
	}
}
