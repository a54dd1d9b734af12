package webhook

import (
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"golang.org/x/time/rate"
	"k8s.io/utils/lru"

	"github.com/rasa-vault-webhook/rasa-vault-webhook/pkg/inject"
)

// TestOneNamespaceCannotUseUpTheGetBudget: pods of one namespace naming a missing
// ConfigMap (never cached, so every review GETs) use up their namespace's share of the
// GETs, not the whole budget, and another namespace's pod is still injected.
func TestOneNamespaceCannotUseUpTheGetBudget(t *testing.T) {
	pod, cm := chartFixture(t)
	quiet := pod.DeepCopy()
	noisy := pod.DeepCopy()
	noisy.Namespace = "noisy" // no ConfigMap there

	var gets atomic.Int64
	c := NewConfigMapCache()
	// No refill within the test: a budget of 5 GETs, a share of 2 per namespace.
	c.limiter = rate.NewLimiter(rate.Every(time.Hour), 5)
	c.perNamespace = lru.New(8)
	c.newNamespaceLimiter = func() *rate.Limiter {
		return rate.NewLimiter(rate.Every(time.Hour), 2)
	}
	h := &Handler{Reader: clientReader{countingClient(&gets, cm)}, Cache: c,
		Options: inject.DefaultOptions(), Logger: logr.Discard()}

	var overShare int
	for range 6 {
		msg := answer(t, h, noisy)
		switch {
		case strings.Contains(msg, "not found"):
		case strings.Contains(msg, "over its share"):
			overShare++
		default:
			t.Fatalf("the noisy namespace's pod got %q", msg)
		}
	}
	if got := answer(t, h, quiet); got != "patched" {
		t.Errorf("the quiet namespace's pod got %q, want it patched", got)
	}
	if overShare != 4 || gets.Load() != 3 {
		t.Errorf("%d reviews over the share and %d GETs, want 4 and 3 (2 noisy, 1 quiet)",
			overShare, gets.Load())
	}
}

// TestANamespaceKeepsItsLimiterUntilPushedOut: a busy namespace's limiter is never
// replaced by a fresh one with a full burst; only the least recently used one goes
// when the kept limiters are full.
func TestANamespaceKeepsItsLimiterUntilPushedOut(t *testing.T) {
	c := NewConfigMapCache()
	c.perNamespace = lru.New(3)
	busy := c.namespaceLimiter("busy")
	for i := range 10 {
		// Other namespaces come and go; busy is used in between.
		c.namespaceLimiter(fmt.Sprintf("other-%d", i))
		if got := c.namespaceLimiter("busy"); got != busy {
			t.Fatalf("after namespace other-%d, busy got a new limiter", i)
		}
	}
	for i := range 3 {
		c.namespaceLimiter(fmt.Sprintf("late-%d", i))
	}
	if c.namespaceLimiter("busy") == busy {
		t.Error("busy kept its limiter after three other namespaces filled the cache")
	}
}
