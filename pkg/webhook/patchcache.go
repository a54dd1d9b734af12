package webhook

import (
	"bytes"
	"crypto/sha256"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/lru"

	"github.com/rasa-vault-webhook/rasa-vault-webhook/pkg/inject"
)

// Limits of NewPatchCache. Together they bound its memory to 4 MiB of answers.
const (
	// DefaultPatchEntries is how many pods' answers are kept, least recently used
	// first out: a rollout or a scale-up sends one pod body per ReplicaSet.
	DefaultPatchEntries = 256
	// MaxCachedAnswerBytes: a larger answer (patch, warnings and the strings kept for
	// the log line; a pod of many containers) is not kept.
	MaxCachedAnswerBytes = 16 << 10
)

// PatchCache keeps the answers of recent injections, so that the next pod with the very
// same JSON in the same namespace is answered without decoding, mutating and diffing it
// again.
//
// Why this is safe: the answer is a function of the pod's JSON, its namespace, the
// handler's Options (fixed once it serves) and one version of one ConfigMap key. The
// pods one controller creates from one template reach admission the same but for their
// token volume's random name and managedFields (their own name is generated after
// admission), so a ReplicaSet scaling up, a rollout or a Job's retries send the same
// pod many times, when reviews are busiest. The key is the SHA-256 of the namespace
// and the pod's JSON with those two left out (keyOf; ServeHTTP keys the review body
// from the pod on before decoding it, reviewKey); an entry whose answer mentions
// either is not kept. An entry is used only after the review's ConfigMap lookup (as in
// every review, cached for DefaultCacheTTL) returns the same ConfigMap at the same
// resourceVersion as when the entry was made. A changed ConfigMap is a miss and its
// review is done in full.
//
// Only injections are kept: denials name the problems of their own pod and should be
// rare, and pods not opted in never need the ConfigMap.
type PatchCache struct {
	entries *lru.Cache
}

// NewPatchCache returns a cache of DefaultPatchEntries patches.
func NewPatchCache() *PatchCache {
	return &PatchCache{entries: lru.New(DefaultPatchEntries)}
}

// patchKey identifies a pod by its namespace and a SHA-256 of its JSON; see keyOf.
type patchKey struct {
	namespace string
	sum       [sha256.Size]byte
}

// cachedPatch is the answer of one injection and what it was computed from.
type cachedPatch struct {
	// target is the pod's endpoints.yml mount, as inject.Plan found it.
	target inject.Target
	// configMap and resourceVersion name the ConfigMap version the patch was made with.
	configMap, resourceVersion string
	// patch is the encoded JSONPatch, shared read-only by every answer that reuses it.
	patch    []byte
	warnings []string
	// reason, pod (the pod's name or generateName, "" without either) and
	// wholePodDiff are the review's, for the log line.
	reason, pod  string
	wholePodDiff bool
}

// get returns the entry of key, if any.
func (c *PatchCache) get(key patchKey) (*cachedPatch, bool) {
	v, ok := c.entries.Get(key)
	if !ok {
		return nil, false
	}
	return v.(*cachedPatch), true
}

// add keeps e under k, unless its patch is too large, its ConfigMap carries no
// resourceVersion to compare with later, or it mentions what k left out of the pod.
func (c *PatchCache) add(k podKey, e *cachedPatch) {
	if e.size() > MaxCachedAnswerBytes || e.resourceVersion == "" ||
		bytes.Contains(e.patch, []byte("managedFields")) ||
		(k.tokenVolume != "" && e.mentions(k.tokenVolume)) {
		return
	}
	c.entries.Add(k.key, e)
}

// size is the bytes e keeps beyond its fixed fields.
func (e *cachedPatch) size() int {
	n := len(e.patch) + len(e.configMap) + len(e.resourceVersion) + len(e.reason) +
		len(e.pod) + len(e.target.ContainerName) + len(e.target.VolumeName) +
		len(e.target.ConfigMapName) + len(e.target.EndpointsPath) + len(e.target.Key)
	for _, w := range e.warnings {
		n += len(w)
	}
	return n
}

// mentions reports whether any part of e's answer holds s: then the answer depends on
// s and cannot be reused for a pod in which s differs.
func (e *cachedPatch) mentions(s string) bool {
	if bytes.Contains(e.patch, []byte(s)) {
		return true
	}
	t := e.target
	for _, v := range append([]string{t.ContainerName, t.VolumeName, t.ConfigMapName,
		t.EndpointsPath, t.Key, e.reason, e.pod}, e.warnings...) {
		if strings.Contains(v, s) {
			return true
		}
	}
	return false
}

// matches reports whether cm is the ConfigMap version that e was made with.
func (e *cachedPatch) matches(cm *corev1.ConfigMap) bool {
	return cm.Name == e.configMap && cm.ResourceVersion == e.resourceVersion
}
