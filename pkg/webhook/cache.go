package webhook

import (
	"context"
	"fmt"
	"sync"
	"time"

	"golang.org/x/time/rate"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/cache"
	"k8s.io/utils/lru"
)

// Defaults of NewConfigMapCache; see ConfigMapCache for why.
const (
	// DefaultCacheTTL bounds how stale an accepted endpoints.yml may be.
	DefaultCacheTTL = 30 * time.Second
	// DefaultCacheEntries times DefaultCacheValueBytes bounds the memory: 32 MiB.
	DefaultCacheEntries = 512
	// DefaultCacheValueBytes: endpoints.yml is a few KiB; larger values are not kept.
	DefaultCacheValueBytes = 64 << 10
	// DefaultGetQPS and DefaultGetBurst limit the GETs of cache misses, so a storm of
	// pods naming many ConfigMaps cannot flood the apiserver from the webhook.
	DefaultGetQPS   = 50
	DefaultGetBurst = 100
	// DefaultNamespaceGetQPS and DefaultNamespaceGetBurst are one namespace's share of
	// those GETs, so pods of one namespace naming many ConfigMaps, or a missing one
	// over and over, cannot use up the budget that every other namespace waits on.
	DefaultNamespaceGetQPS   = 10
	DefaultNamespaceGetBurst = 20
	// namespaceLimiters bounds the per-namespace limiters kept, least recently used
	// first out. A limiter refills by itself within two seconds of idling, so only a
	// namespace pushed out by 4096 others starts again with a full burst.
	namespaceLimiters = 4096
)

// ConfigMapCache keeps the endpoints.yml key of the ConfigMaps that opted-in pods named
// recently, so the replicas of one Deployment, a Job's retries or a rollout cost one
// API round-trip instead of one per pod.
//
// Why not an informer: a watch of every ConfigMap in the cluster costs memory for
// objects the webhook never reads (a busy cluster has thousands, up to 1 MiB each) and
// a full LIST at every start, and a label selector would make users label their
// ConfigMaps. This cache holds only what reviews asked for: at most Entries values of
// at most ValueBytes each, each for TTL. BenchmarkReview counts the round-trips it
// saves; BenchmarkReviewOnRealAPIServer (test/webhooktest) times a review with and
// without it against a real kube-apiserver.
//
// The GETs of misses share a rate limit (DefaultGetQPS), of which each namespace gets
// a share (DefaultNamespaceGetQPS): a missing ConfigMap is never cached, so one
// namespace's pods naming it over and over would otherwise take every other
// namespace's GETs, and their pods would be refused.
//
// Staleness is handled where it matters: a missing ConfigMap is never cached, and the
// handler repeats a review that a cached copy would deny with a fresh GET, so a fixed
// ConfigMap is never refused. A ConfigMap broken within TTL of a cached copy can still
// be accepted; the init container then fails with the cause in its termination message.
type ConfigMapCache struct {
	entries    *cache.LRUExpireCache
	ttl        time.Duration
	valueBytes int
	limiter    *rate.Limiter

	// perNamespace holds a *rate.Limiter per namespace, made by newNamespaceLimiter;
	// mu makes its get-or-add atomic.
	mu                  sync.Mutex
	perNamespace        *lru.Cache
	newNamespaceLimiter func() *rate.Limiter
}

// NewConfigMapCache returns a cache with the Default* limits.
func NewConfigMapCache() *ConfigMapCache {
	return &ConfigMapCache{
		entries:      cache.NewLRUExpireCache(DefaultCacheEntries),
		ttl:          DefaultCacheTTL,
		valueBytes:   DefaultCacheValueBytes,
		limiter:      rate.NewLimiter(DefaultGetQPS, DefaultGetBurst),
		perNamespace: lru.New(namespaceLimiters),
		newNamespaceLimiter: func() *rate.Limiter {
			return rate.NewLimiter(DefaultNamespaceGetQPS, DefaultNamespaceGetBurst)
		},
	}
}

// cacheKey is one key of one ConfigMap.
type cacheKey struct {
	namespace, name, key string
}

// String joins the parts with "/", which none of them may contain (a namespace and a
// ConfigMap name are DNS names; a ConfigMap key cannot hold "/").
func (k cacheKey) String() string { return k.namespace + "/" + k.name + "/" + k.key }

// get returns a copy of the cached ConfigMap, holding key.key only.
func (c *ConfigMapCache) get(key cacheKey) (*corev1.ConfigMap, bool) {
	v, ok := c.entries.Get(key)
	if !ok {
		return nil, false
	}
	return v.(*corev1.ConfigMap).DeepCopy(), true
}

// add keeps the one key a review needs of cm, unless it is too large.
func (c *ConfigMapCache) add(key cacheKey, cm *corev1.ConfigMap) {
	kept := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{
		Name: cm.Name, Namespace: cm.Namespace, ResourceVersion: cm.ResourceVersion,
	}}
	if v, ok := cm.Data[key.key]; ok {
		if len(v) > c.valueBytes {
			return
		}
		kept.Data = map[string]string{key.key: v}
	}
	if _, ok := cm.BinaryData[key.key]; ok {
		// Only its presence matters: the denial says to move it under data.
		kept.BinaryData = map[string][]byte{key.key: nil}
	}
	c.entries.Add(key, kept, c.ttl)
}

// wait takes a token for one GET in namespace, first from the namespace's share and
// then from the whole budget, or fails at once when ctx would end first.
func (c *ConfigMapCache) wait(ctx context.Context, namespace string) error {
	if err := c.namespaceLimiter(namespace).Wait(ctx); err != nil {
		return fmt.Errorf("namespace %s is over its share of %d reads per second: %w",
			namespace, DefaultNamespaceGetQPS, err)
	}
	if err := c.limiter.Wait(ctx); err != nil {
		return fmt.Errorf("the webhook's %d reads per second, across namespaces, are used "+
			"up: %w", DefaultGetQPS, err)
	}
	return nil
}

// namespaceLimiter returns namespace's limiter, made on first use.
func (c *ConfigMapCache) namespaceLimiter(namespace string) *rate.Limiter {
	c.mu.Lock()
	defer c.mu.Unlock()
	if l, ok := c.perNamespace.Get(namespace); ok {
		return l.(*rate.Limiter)
	}
	l := c.newNamespaceLimiter()
	c.perNamespace.Add(namespace, l)
	return l
}
