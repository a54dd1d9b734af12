package inject

import (
	"strconv"
	"testing"
)

// BenchmarkMutate reviews the Rasa-chart pod with the same endpoints.yml every time,
// as the replicas of one Deployment send it (answered from endpointsMemo), and with a
// new one every time (parsed on each review), the cost the memo saves.
func BenchmarkMutate(b *testing.B) {
	for _, repeated := range []bool{true, false} {
		name := "new-endpoints"
		if repeated {
			name = "repeated-endpoints"
		}
		b.Run(name, func(b *testing.B) {
			useMemo(b, newParseMemo(parseMemoEntries, parseMemoEntryBytes,
				parseMemoTotalBytes))
			pod, cm, target := chartInput(b)
			text := cm.Data[target.Key]
			opts := DefaultOptions()

			b.ReportAllocs()
			n := 0
			for b.Loop() {
				if !repeated {
					n++
					cm.Data[target.Key] = text + "# " + strconv.Itoa(n) + "\n"
				}
				if _, _, err := Mutate(pod, cm, target, opts); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
