package inject

import (
	"bufio"
	"bytes"
	"fmt"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
)

// bufioReader wraps data for the YAML document reader.
func bufioReader(data []byte) *bufio.Reader {
	return bufio.NewReader(bytes.NewReader(data))
}

// lineDiff shows the lines of want and got that differ, by position; enough to see
// what changed in a golden file without an external diff tool.
func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b strings.Builder
	for i := 0; i < max(len(w), len(g)); i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			fmt.Fprintf(&b, "line %d:\n  want: %s\n  got:  %s\n", i+1, wl, gl)
		}
	}
	return b.String()
}

// defaultSettings are the settings of a pod without settings annotations.
func defaultSettings(t testing.TB) Settings {
	t.Helper()
	s, err := ReadSettings(&corev1.Pod{}, DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	return s
}
