package agent

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestTerminationLineIsOneBoundedLine(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"a short message stays", "vault unreachable", "vault unreachable"},
		{"line breaks become separators", "first problem\nsecond problem",
			"first problem; second problem"},
		{"runs of white space and blank lines collapse", "a  \t b\n\n \n", "a b"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := terminationLine(tt.in); got != tt.want {
				t.Errorf("terminationLine(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}

	t.Run("a long message is cut on a rune boundary", func(t *testing.T) {
		got := terminationLine(strings.Repeat("é", 5000))
		if len(got) > maxTerminationMessage || !utf8.ValidString(got) ||
			!strings.HasSuffix(got, "...") {
			t.Errorf("cut message: %d bytes, valid UTF-8 %v", len(got), utf8.ValidString(got))
		}
	})
}

func TestRedactorBlanksKnownSecretsLongestFirst(t *testing.T) {
	var r redactor
	r.add(plantedToken, "abc", plantedPassword, plantedPassword+"-suffix")
	msg := "token " + plantedToken + " and " + plantedPassword + "-suffix and abc"
	got := r.text(msg)
	assertNoLeak(t, "redacted text", got)
	if strings.Contains(got, "-suffix") {
		t.Errorf("the longer secret was only partly blanked: %q", got)
	}
	if !strings.Contains(got, "abc") {
		t.Errorf("a value shorter than %d bytes was blanked: %q", minRedactLen, got)
	}

	base := errors.New("cause " + plantedToken)
	wrapped := r.err(base)
	if !errors.Is(wrapped, base) {
		t.Error("the redacted error lost its chain")
	}
	assertNoLeak(t, "redacted error", wrapped.Error())
}

func TestHealthTurnsUnhealthyAndBack(t *testing.T) {
	h := NewHealth()
	if s := h.Status(); s.Ready || !s.Healthy {
		t.Fatalf("new Health = %+v, want not ready and healthy", s)
	}
	h.fetched(timeZero.Add(1))
	h.tokenDead("vault token expired: renewal refused")
	h.fetchFailed("refreshing the secrets failed: permission denied")
	s := h.Status()
	if !s.Ready || s.Healthy || !strings.Contains(s.Reason, "renewal refused") ||
		!strings.Contains(s.Reason, "permission denied") {
		t.Errorf("Status = %+v, want ready, unhealthy, both reasons", s)
	}
	h.tokenAlive(timeZero)
	h.fetched(timeZero.Add(2))
	if s := h.Status(); !s.Healthy || s.Reason != "" {
		t.Errorf("after recovery Status = %+v, want healthy", s)
	}
}
