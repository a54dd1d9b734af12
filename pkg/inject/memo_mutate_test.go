package inject

import (
	"fmt"
	"path/filepath"
	"reflect"
	"sync"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
)

// useMemo makes Mutate read endpoints.yml through m for the rest of the test. Tests
// that call it must not run in parallel.
func useMemo(t testing.TB, m *parseMemo) {
	t.Helper()
	saved := endpointsMemo
	endpointsMemo = m
	t.Cleanup(func() { endpointsMemo = saved })
}

// noMemo parses every text afresh: the behaviour before the memo.
func noMemo() *parseMemo { return newParseMemo(0, -1, 0) }

// mutateOutcome is everything Mutate returns, errors by their text.
type mutateOutcome struct {
	pod      *corev1.Pod
	warnings []string
	err      string
}

func mutateOnce(pod *corev1.Pod, cm *corev1.ConfigMap, target Target) mutateOutcome {
	out, warnings, err := Mutate(pod, cm, target, DefaultOptions())
	o := mutateOutcome{pod: out, warnings: warnings}
	if err != nil {
		o.err = err.Error()
	}
	return o
}

func (o mutateOutcome) equal(p mutateOutcome) bool {
	return equality.Semantic.DeepEqual(o.pod, p.pod) && reflect.DeepEqual(o.warnings,
		p.warnings) && o.err == p.err
}

// TestMutateReadsEndpointsThroughMemo: the second review of the same endpoints.yml
// does not parse it again.
func TestMutateReadsEndpointsThroughMemo(t *testing.T) {
	m, parses := countingMemo(parseMemoEntries, parseMemoEntryBytes, parseMemoTotalBytes)
	useMemo(t, m)
	pod, cm, target := chartInput(t)

	first := mutateOnce(pod, cm, target)
	second := mutateOnce(pod, cm, target)

	if n := parses[cm.Data[target.Key]]; n != 1 {
		t.Errorf("endpoints.yml parsed %d times in two reviews, want once", n)
	}
	if stats, _ := m.snapshot(); stats.hits != 1 {
		t.Errorf("memo hits = %d, want 1", stats.hits)
	}
	if first.err != "" || !first.equal(second) {
		t.Errorf("the memoized review differs: %+v, then %+v", first, second)
	}
}

// TestMutateFromMemoMatchesFreshParse runs every golden case without the memo, then
// twice through one, and wants the same pod, warnings and denial each time. Afterwards
// each remembered result must still equal a fresh parse: no review changed it.
func TestMutateFromMemoMatchesFreshParse(t *testing.T) {
	inputs, err := filepath.Glob(filepath.Join("testdata", "*", "input.yaml"))
	if err != nil || len(inputs) == 0 {
		t.Fatalf("no golden cases found: %v", err)
	}
	memo := newParseMemo(len(inputs), parseMemoEntryBytes, 1<<30)

	for _, input := range inputs {
		t.Run(filepath.Base(filepath.Dir(input)), func(t *testing.T) {
			pod, cm := readInput(t, input)
			useMemo(t, noMemo())
			fresh := runSteps(t, pod, cm)

			useMemo(t, memo)
			for i := range 2 {
				if got := runSteps(t, pod, cm); !equality.Semantic.DeepEqual(fresh, got) {
					t.Errorf("review %d through the memo differs from a fresh parse", i+1)
				}
			}
		})
	}

	memo.mu.Lock()
	defer memo.mu.Unlock()
	for text, e := range memo.byKey {
		if !reflect.DeepEqual(e.Value.(*memoEntry).parsed, parseEndpoints(text)) {
			t.Errorf("the remembered result for %q was changed", text)
		}
	}
}

// TestMutateConcurrentlyThroughMemo reviews shared and distinct documents, valid and
// not, from several goroutines through a memo small enough to evict all the time, and
// wants each outcome equal to a fresh, serial one. Run with -race.
func TestMutateConcurrentlyThroughMemo(t *testing.T) {
	pod, cm, target := chartInput(t)
	texts := []string{cm.Data[target.Key], "{", "tracker_store:\n  password: {source: x}\n"}
	for i := range 12 {
		texts = append(texts, fmt.Sprintf("%s# replica set %d\n", cm.Data[target.Key], i))
	}

	configMaps := make([]*corev1.ConfigMap, len(texts))
	want := make([]mutateOutcome, len(texts))
	useMemo(t, noMemo())
	for i, text := range texts {
		configMaps[i] = cm.DeepCopy()
		configMaps[i].Data[target.Key] = text
		want[i] = mutateOnce(pod, configMaps[i], target)
	}

	useMemo(t, newParseMemo(4, parseMemoEntryBytes, parseMemoTotalBytes))
	var wg sync.WaitGroup
	for g := range 6 {
		wg.Go(func() {
			for round := range 5 {
				for j := range texts {
					// Every goroutine starts elsewhere, so the same text is in flight on
					// several at once and different texts at the same moment.
					i := (j + g + round) % len(texts)
					if got := mutateOnce(pod, configMaps[i], target); !got.equal(want[i]) {
						t.Errorf("text %d: the concurrent review differs", i)
					}
				}
			}
		})
	}
	wg.Wait()
}
