package main

import (
	"context"

	"github.com/rasa-vault-webhook/rasa-vault-webhook/test/harness"
)

// toolPath resolves a cached test tool (built by test/tools/build.sh).
func toolPath(ctx context.Context, tool string) (string, error) {
	return harness.ToolPath(ctx, tool)
}
