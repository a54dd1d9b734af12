// Package e2e runs the main job end to end on real parts: etcd + kube-apiserver, Vault,
// PostgreSQL, the real webhook binary, and a pod runner playing the kubelet.
package e2e

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/rasa-vault-webhook/rasa-vault-webhook/test/scenario"
)

// world is shared by every test in the package: starting it takes seconds, not minutes,
// but each test still works in its own namespace with its own secrets.
var world *scenario.World

func TestMain(m *testing.M) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	step := func(format string, args ...any) func() {
		start := time.Now()
		msg := fmt.Sprintf(format, args...)
		return func() {
			took := time.Since(start).Round(time.Millisecond)
			fmt.Printf("e2e setup: %s (%s)\n", msg, took)
		}
	}
	w, err := scenario.Start(ctx, step)
	if err != nil {
		cancel()
		fmt.Fprintf(os.Stderr, "e2e setup failed: %v\n", err)
		os.Exit(1)
	}
	world = w
	code := m.Run()
	w.Stop()
	cancel()
	os.Exit(code)
}
