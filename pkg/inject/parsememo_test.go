package inject

import (
	"strings"
	"testing"
)

// countingMemo is a memo whose parses are counted, per text.
func countingMemo(entries, entryBytes, totalBytes int) (*parseMemo, map[string]int) {
	parses := map[string]int{}
	m := newParseMemo(entries, entryBytes, totalBytes)
	m.parse = func(text string) *parsedEndpoints {
		parses[text]++
		return parseEndpoints(text)
	}
	return m, parses
}

// TestParseMemoParsesEachTextOnce: every lookup after the first is answered from memory
// with the very same result, and texts over the per-document bound are never kept.
func TestParseMemoParsesEachTextOnce(t *testing.T) {
	m, parses := countingMemo(4, 64, 1024)
	big := "tracker_store:\n  url: " + strings.Repeat("x", 64) + "\n"

	first := m.get("a: 1\n")
	for range 3 {
		if got := m.get("a: 1\n"); got != first {
			t.Fatal("a repeated text got a result of its own")
		}
		m.get("{")
		m.get(big)
	}

	if parses["a: 1\n"] != 1 || parses["{"] != 1 {
		t.Errorf("parses = %v, want one per text", parses)
	}
	if parses[big] != 3 {
		t.Errorf("a text over the bound was parsed %d times, want every time", parses[big])
	}
	stats, held := m.snapshot()
	want := memoStats{hits: 5, misses: 2, uncacheable: 3}
	if stats != want || held != 2 {
		t.Errorf("stats = %+v with %d held, want %+v with 2", stats, held, want)
	}
}

// TestParseMemoEvictsLeastRecentlyUsed: past either bound, the entry used longest ago
// goes first, and a recently read one stays.
func TestParseMemoEvictsLeastRecentlyUsed(t *testing.T) {
	tests := []struct {
		name              string
		entries, total    int
		texts             []string
		wantKept, wantOut []string
	}{
		{name: "too many entries drop the oldest unread one", entries: 2, total: 1024,
			texts:    []string{"a: 1", "b: 1", "a: 1", "c: 1"},
			wantKept: []string{"a: 1", "c: 1"}, wantOut: []string{"b: 1"}},
		{name: "too many bytes drop entries until the text fits", entries: 8, total: 10,
			texts:    []string{"a: 1", "b: 1", "cc: 123"},
			wantKept: []string{"cc: 123"}, wantOut: []string{"a: 1", "b: 1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := newParseMemo(tt.entries, 64, tt.total)
			for _, text := range tt.texts {
				m.get(text)
			}

			for _, text := range tt.wantKept {
				if !m.holds(text) {
					t.Errorf("%q was evicted, want it kept", text)
				}
			}
			for _, text := range tt.wantOut {
				if m.holds(text) {
					t.Errorf("%q is kept, want it evicted", text)
				}
			}
			if _, held := m.snapshot(); held != len(tt.wantKept) {
				t.Errorf("%d entries held, want %d", held, len(tt.wantKept))
			}
		})
	}
}

// TestParseMemoKeepsParseErrors: a text that does not parse is remembered with the
// very error a fresh parse gives.
func TestParseMemoKeepsParseErrors(t *testing.T) {
	m, parses := countingMemo(4, 64, 1024)
	want := parseEndpoints("a: [").err.Error()

	for range 2 {
		got := m.get("a: [")
		if got.err == nil || got.err.Error() != want {
			t.Fatalf("err = %v, want %s", got.err, want)
		}
	}
	if parses["a: ["] != 1 {
		t.Errorf("parsed %d times, want once", parses["a: ["])
	}
}

// holds reports whether text is remembered, without counting or reordering.
func (m *parseMemo) holds(text string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	_, ok := m.byKey[text]
	return ok
}
