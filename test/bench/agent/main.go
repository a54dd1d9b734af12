// Command agent measures the agent alone against a local Vault dev server: the time
// from starting `webhook agent --once` to its exit with the resolved file written
// (median and spread of -runs runs), and the renewal agent's resident memory after
// -settle of steady work (renewing a short-TTL token, re-reading the secret).
//
//	go run ./test/bench/agent [-runs 20] [-settle 30s]
//
// Every server it starts listens on 127.0.0.1 and is stopped before it returns.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/rasa-vault-webhook/rasa-vault-webhook/test/harness"
)

func main() {
	runs := flag.Int("runs", 20, "how many init runs to time")
	settle := flag.Duration("settle", 30*time.Second, "how long the renewal agent runs "+
		"before its RSS is read")
	flag.Parse()
	if err := measure(*runs, *settle); err != nil {
		fmt.Fprintln(os.Stderr, "bench/agent:", err)
		os.Exit(1)
	}
}

// measure runs both measurements and prints one line each.
func measure(runs int, settle time.Duration) error {
	if runs < 1 || runs > 1000 || settle <= 0 || settle > 10*time.Minute {
		return errors.New("-runs must be 1..1000 and -settle in (0, 10m]")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	dir, err := os.MkdirTemp("", "rvw-bench-agent-*")
	if err != nil {
		return err
	}
	defer func() { _ = os.RemoveAll(dir) }()

	bin, err := harness.BuildWebhook(ctx, dir)
	if err != nil {
		return err
	}
	v, err := harness.StartVaultProcess(ctx, nil)
	if err != nil {
		return err
	}
	defer v.Stop()
	token, err := seed(v)
	if err != nil {
		return err
	}
	src, err := writeSource(dir)
	if err != nil {
		return err
	}
	env := []string{"VAULT_URL=" + v.Addr, "VAULT_TOKEN=" + token}

	times, err := timeInitRuns(ctx, bin, src, dir, env, runs)
	if err != nil {
		return err
	}
	slices.Sort(times)
	fmt.Printf("init (agent --once) start to resolved file, %d runs: median %s, "+
		"min %s, p90 %s, max %s\n", runs, ms(times[len(times)/2]), ms(times[0]),
		ms(times[len(times)*9/10]), ms(times[len(times)-1]))

	rss, renewals, err := steadyRSS(ctx, bin, src, dir, env, settle)
	if err != nil {
		return err
	}
	fmt.Printf("renewal agent after %s (token TTL 10s, refresh 5s, %d renewals): "+
		"VmRSS %s\n", settle, renewals, rss)
	return nil
}

// seed writes the SQL secret and returns a renewable 10-second token that reads it,
// so the renewal agent renews every second, its busiest schedule.
func seed(v *harness.Vault) (string, error) {
	err := v.PutSecret("secret", "rasa-secrets", map[string]any{
		"sql_store_username": "bench-user", "sql_store_password": "bench-password"})
	if err != nil {
		return "", err
	}
	if err := v.WritePolicy("rasa",
		`path "secret/data/rasa-secrets" { capabilities = ["read"] }`); err != nil {
		return "", err
	}
	return v.CreateToken([]string{"rasa"}, 10*time.Second, true)
}

// writeSource copies the SQL sample of the agent's tests into a source directory.
func writeSource(dir string) (string, error) {
	root, err := harness.RepoRoot()
	if err != nil {
		return "", err
	}
	data, err := os.ReadFile(filepath.Join(root, "pkg", "agent", "testdata", "endpoints-sql.yml"))
	if err != nil {
		return "", err
	}
	src := filepath.Join(dir, "config")
	if err := os.MkdirAll(src, 0o755); err != nil {
		return "", err
	}
	return src, os.WriteFile(filepath.Join(src, "endpoints.yml"), data, 0o644)
}

// agentCmd is the agent's command line with the bench's directories.
func agentCmd(ctx context.Context, bin, src, out string, env []string,
	extra ...string) *exec.Cmd {
	args := append([]string{"agent", "--source-dir=" + src, "--output-dir=" + out,
		"--termination-message-path=" + filepath.Join(out, ".termination-log")}, extra...)
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH")}, env...)
	return cmd
}

// timeInitRuns times runs of `agent --once`, each into a fresh output directory.
func timeInitRuns(ctx context.Context, bin, src, dir string, env []string, runs int) (
	[]time.Duration, error) {
	var times []time.Duration
	for i := range runs {
		out := filepath.Join(dir, fmt.Sprintf("out-%d", i))
		if err := os.MkdirAll(out, 0o755); err != nil {
			return nil, err
		}
		cmd := agentCmd(ctx, bin, src, out, env, "--once", "--log-level=error")
		start := time.Now()
		if msg, err := cmd.CombinedOutput(); err != nil {
			return nil, fmt.Errorf("init run %d: %w\n%s", i, err, msg)
		}
		times = append(times, time.Since(start))
		if _, err := os.Stat(filepath.Join(out, "endpoints.yml")); err != nil {
			return nil, fmt.Errorf("init run %d wrote no file: %w", i, err)
		}
	}
	return times, nil
}

// steadyRSS runs the renewal agent for settle and reads its VmRSS; it also counts the
// renewals it logged, to show it was working.
func steadyRSS(ctx context.Context, bin, src, dir string, env []string,
	settle time.Duration) (string, int, error) {
	out := filepath.Join(dir, "out-agent")
	if err := os.MkdirAll(out, 0o755); err != nil {
		return "", 0, err
	}
	port, err := harness.FreePort()
	if err != nil {
		return "", 0, err
	}
	cmd := agentCmd(ctx, bin, src, out, env, "--refresh-interval=5s", "--log-level=debug",
		fmt.Sprintf("--health-addr=127.0.0.1:%d", port))
	logPath := filepath.Join(dir, "agent.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return "", 0, err
	}
	defer func() { _ = logFile.Close() }()
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		return "", 0, err
	}
	defer func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	}()
	select {
	case <-time.After(settle):
	case <-ctx.Done():
		return "", 0, ctx.Err()
	}
	rss, err := vmRSS(cmd.Process.Pid)
	if err != nil {
		return "", 0, err
	}
	logText, err := os.ReadFile(logPath)
	if err != nil {
		return "", 0, err
	}
	return rss, strings.Count(string(logText), `"msg":"vault token renewed"`), nil
}

// vmRSS reads the VmRSS line of /proc/<pid>/status.
func vmRSS(pid int) (string, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return "", err
	}
	defer func() { _ = f.Close() }()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if v, ok := strings.CutPrefix(s.Text(), "VmRSS:"); ok {
			return strings.Join(strings.Fields(v), " "), nil
		}
	}
	return "", errors.New("no VmRSS in /proc status")
}

// ms renders a duration in milliseconds with one decimal.
func ms(d time.Duration) string {
	return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000)
}
