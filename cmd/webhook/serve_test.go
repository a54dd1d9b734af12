package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

func TestServeRefusesAPortOutsideTheTCPRange(t *testing.T) {
	for _, port := range []string{"-1", "0", "65536"} {
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), []string{"serve", "--port=" + port}, &stdout, &stderr)
		if code != 2 || !strings.Contains(stderr.String(), "--port") {
			t.Errorf("serve --port=%s: exit %d, stderr %q; want 2 naming --port", port, code,
				stderr.String())
		}
	}
}

func TestHelpOfEveryCommandExitsZero(t *testing.T) {
	for _, cmd := range []string{"serve", "agent", "certs", "inject"} {
		var stdout, stderr bytes.Buffer
		if code := run(context.Background(), []string{cmd, "-h"}, &stdout, &stderr); code != 0 {
			t.Errorf("%s -h: exit %d, want 0", cmd, code)
		}
		if stderr.Len() == 0 {
			t.Errorf("%s -h printed no usage", cmd)
		}
	}
}
