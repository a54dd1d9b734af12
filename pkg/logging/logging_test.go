package logging

import (
	"bytes"
	"strings"
	"testing"
)

func TestVerboseLinesAreLabelledDebugAndHiddenAtInfo(t *testing.T) {
	var buf bytes.Buffer
	log, err := New(&buf, "debug")
	if err != nil {
		t.Fatal(err)
	}
	log.V(1).Info("detail", "key", "value")
	if !strings.Contains(buf.String(), `"level":"DEBUG"`) {
		t.Errorf("debug line = %s; want level DEBUG", buf.String())
	}

	buf.Reset()
	log, _ = New(&buf, "info")
	log.V(1).Info("detail")
	log.Info("shown")
	if strings.Contains(buf.String(), "detail") || !strings.Contains(buf.String(), "shown") {
		t.Errorf("info logger output = %s; want only the info line", buf.String())
	}
}

func TestAnUnknownLevelNamesTheFlagAndTheChoices(t *testing.T) {
	_, err := New(&bytes.Buffer{}, "verbose")
	if err == nil || !strings.Contains(err.Error(), "--log-level") {
		t.Fatalf("err = %v; want one naming --log-level", err)
	}
}
