package harness

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// RepoRoot returns the directory holding the project's go.mod, found by walking up
// from the working directory (go test runs each package in its own directory).
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("finding the repository root: %w", err)
	}
	for {
		data, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && bytes.Contains(data, []byte("module github.com/rasa-vault-webhook/")) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("finding the repository root: no go.mod above the working dir")
		}
		dir = parent
	}
}

// buildTool runs test/tools/build.sh, which builds a server from its Go module once
// per machine (cached outside the clone) and prints the resulting path.
func buildTool(ctx context.Context, args ...string) (string, error) {
	root, err := RepoRoot()
	if err != nil {
		return "", err
	}
	script := filepath.Join(root, "test", "tools", "build.sh")
	cmd := exec.CommandContext(ctx, "bash", append([]string{script}, args...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("building test tool %v: %w\n%s", args, err, stderr.String())
	}
	path := strings.TrimSpace(stdout.String())
	if path == "" {
		return "", fmt.Errorf("building test tool %v: build.sh printed no path", args)
	}
	return path, nil
}

// ToolPath returns the path of a cached test tool (etcd, kube-apiserver, vault, helm),
// building it first when this machine has not built that version yet.
func ToolPath(ctx context.Context, tool string) (string, error) {
	return buildTool(ctx, "path", tool)
}

// EnvtestAssets returns a directory holding etcd and kube-apiserver, as envtest's
// BinaryAssetsDirectory expects.
func EnvtestAssets(ctx context.Context) (string, error) {
	return buildTool(ctx, "envtest")
}

// BuildWebhook compiles the product binary (cmd/webhook) into dir and returns its path.
// The tests run the real binary, the same one the image ships, for serve and agent.
func BuildWebhook(ctx context.Context, dir string) (string, error) {
	root, err := RepoRoot()
	if err != nil {
		return "", err
	}
	out := filepath.Join(dir, "webhook")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", out, "./cmd/webhook")
	cmd.Dir = root
	if msg, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("building cmd/webhook: %w\n%s", err, msg)
	}
	return out, nil
}
