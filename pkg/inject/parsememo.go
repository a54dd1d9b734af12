package inject

import (
	"container/list"
	"strings"
	"sync"
)

// Bounds of the process-wide parseMemo. The replicas of one Deployment, a rollout or a
// Job's retries send the same endpoints.yml, so a few dozen recent documents catch the
// repeats. A real endpoints.yml is one to a few KiB; 16 KiB per document leaves room
// for large ones, and larger ones are parsed every time. The parsed form takes up to
// some 50 times its text (measured: 18x for the Rasa chart's file, 49x for short flow
// mappings), so 128 KiB of text in all keeps the memo under about 6 MiB at worst, inside
// the webhook's 25 MiB memory budget (docs/benchmarks.md).
const (
	parseMemoEntries    = 64
	parseMemoEntryBytes = 16 << 10
	parseMemoTotalBytes = 128 << 10
)

// endpointsMemo is the parseMemo Mutate reads endpoints.yml through.
var endpointsMemo = newParseMemo(parseMemoEntries, parseMemoEntryBytes, parseMemoTotalBytes)

// parseMemo remembers parseEndpoints results by the text of endpoints.yml, least
// recently used first out. The key is the text itself, not a hash of it, so two
// documents can never share an entry. It is safe for concurrent use; the results it
// hands out are shared and must not be changed (see parsedEndpoints).
type parseMemo struct {
	parse      func(string) *parsedEndpoints
	maxEntries int
	entryBytes int
	totalBytes int

	mu    sync.Mutex
	order *list.List // of *memoEntry, most recently used first
	byKey map[string]*list.Element
	bytes int // text held by the entries
	stats memoStats
}

// memoEntry is one remembered document.
type memoEntry struct {
	text   string
	parsed *parsedEndpoints
}

// memoStats counts lookups, for tests and benchmarks to see that the memo is used.
type memoStats struct {
	hits, misses, uncacheable int
}

// newParseMemo returns an empty memo of at most entries documents of at most
// entryBytes each, holding at most totalBytes of text.
func newParseMemo(entries, entryBytes, totalBytes int) *parseMemo {
	return &parseMemo{
		parse:      parseEndpoints,
		maxEntries: entries,
		entryBytes: entryBytes,
		totalBytes: totalBytes,
		order:      list.New(),
		byKey:      map[string]*list.Element{},
	}
}

// get returns parseEndpoints(text), from memory when text was seen recently. Texts
// over the per-document bound are parsed every time and not kept.
func (m *parseMemo) get(text string) *parsedEndpoints {
	if len(text) > m.entryBytes {
		m.count(func(s *memoStats) { s.uncacheable++ })
		return m.parse(text)
	}
	if parsed := m.lookup(text); parsed != nil {
		return parsed
	}

	// Parsed outside the lock: a slow document must not hold up the others. Two
	// reviews missing on the same text at once both parse it, to the same result.
	parsed := m.parse(text)
	m.add(text, parsed)
	return parsed
}

// lookup returns the remembered result for text and marks it recently used, or nil.
func (m *parseMemo) lookup(text string) *parsedEndpoints {
	m.mu.Lock()
	defer m.mu.Unlock()

	e, ok := m.byKey[text]
	if !ok {
		m.stats.misses++
		return nil
	}
	m.stats.hits++
	m.order.MoveToFront(e)
	return e.Value.(*memoEntry).parsed
}

// add remembers parsed for text, dropping the least recently used entries to stay
// within the bounds.
func (m *parseMemo) add(text string, parsed *parsedEndpoints) {
	m.mu.Lock()
	defer m.mu.Unlock()

	if _, ok := m.byKey[text]; ok {
		return
	}
	// A copy, so that the memo never keeps alive a larger buffer text may point into.
	text = strings.Clone(text)
	m.byKey[text] = m.order.PushFront(&memoEntry{text: text, parsed: parsed})
	m.bytes += len(text)

	for m.order.Len() > m.maxEntries || m.bytes > m.totalBytes {
		oldest := m.order.Back()
		entry := oldest.Value.(*memoEntry)
		m.order.Remove(oldest)
		delete(m.byKey, entry.text)
		m.bytes -= len(entry.text)
	}
}

// count changes the statistics under the lock.
func (m *parseMemo) count(change func(*memoStats)) {
	m.mu.Lock()
	defer m.mu.Unlock()
	change(&m.stats)
}

// snapshot returns the statistics and the number of documents held.
func (m *parseMemo) snapshot() (memoStats, int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.stats, m.order.Len()
}
