package e2e

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/rasa-vault-webhook/rasa-vault-webhook/test/harness"
	"github.com/rasa-vault-webhook/rasa-vault-webhook/test/scenario"
)

// agentProcess is `webhook agent` run as a process, as the sidecar runs it.
type agentProcess struct {
	cmd        *exec.Cmd
	out        *scenario.SyncBuffer
	outputDir  string
	healthAddr string
	exited     chan error
}

// startAgent runs the real binary in agent mode against the shared Vault with the SQL
// sample and the given extra flags and environment.
func startAgent(t *testing.T, env []string, flags ...string) *agentProcess {
	t.Helper()
	root, err := harness.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	port, err := harness.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	p := &agentProcess{out: &scenario.SyncBuffer{}, outputDir: t.TempDir(),
		healthAddr: fmt.Sprintf("127.0.0.1:%d", port), exited: make(chan error, 1)}
	args := append([]string{"agent",
		"--source-dir=" + filepath.Join(root, "pkg", "agent", "testdata"),
		"--endpoints-file=endpoints-sql.yml", "--output-dir=" + p.outputDir,
		"--termination-message-path=" + filepath.Join(t.TempDir(), "termination-log"),
		"--health-addr=" + p.healthAddr, "--log-level=debug"}, flags...)
	p.cmd = exec.Command(world.WebhookBin, args...)
	p.cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "VAULT_URL=" + world.Vault.Addr},
		env...)
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.exited <- p.cmd.Wait() }()
	t.Cleanup(func() {
		_ = p.cmd.Process.Kill()
		<-p.exited
	})
	return p
}

// probe runs `webhook agent probe` against the process and returns its exit code.
func (p *agentProcess) probe(t *testing.T) (int, string) {
	t.Helper()
	out, err := exec.Command(world.WebhookBin, "agent", "probe",
		"--health-addr="+p.healthAddr).CombinedOutput()
	var exitErr *exec.ExitError
	if errors.As(err, &exitErr) {
		return exitErr.ExitCode(), string(out)
	}
	if err != nil {
		t.Fatalf("running the probe: %v", err)
	}
	return 0, string(out)
}

// waitFor polls cond every 100 ms until it holds or limit passes.
func waitFor(t *testing.T, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", limit, what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// stop sends SIGTERM and returns how long the process took to exit and its error.
func (p *agentProcess) stop(t *testing.T) (time.Duration, error) {
	t.Helper()
	start := time.Now()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-p.exited:
		p.exited <- err // for the cleanup
		return time.Since(start), err
	case <-time.After(10 * time.Second):
		t.Fatal("the agent did not exit within 10s of SIGTERM")
		return 0, nil
	}
}
