package harness

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// Restart stops the dev server and starts a new one on the same address with the same
// root token, as a Vault pod restart looks to its clients. A dev server keeps its data
// in memory, so the new one is empty: the caller seeds it again. down, when not nil,
// runs while no server is listening.
func (v *Vault) Restart(ctx context.Context, down func()) error {
	bin, err := ToolPath(ctx, "vault")
	if err != nil {
		return err
	}
	if v.cmd != nil && v.cmd.Process != nil {
		_ = v.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-v.exited:
		case <-time.After(vaultStopTimeout):
			_ = v.cmd.Process.Kill()
			<-v.exited
		}
	}
	if down != nil {
		down()
	}

	logFile, err := os.OpenFile(v.logPath, os.O_APPEND|os.O_WRONLY|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("reopening the vault log: %w", err)
	}
	defer func() { _ = logFile.Close() }()
	listen := strings.TrimPrefix(v.Addr, "http://")
	cmd := exec.Command(bin, "server", "-dev", "-dev-root-token-id="+v.RootToken,
		"-dev-listen-address="+listen, "-log-level=info")
	cmd.Dir = v.dir
	cmd.Env = []string{"HOME=" + v.dir, "PATH=" + os.Getenv("PATH"), "TMPDIR=" + v.dir}
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("restarting %s: %w", bin, err)
	}
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(exited)
	}()
	v.cmd, v.exited = cmd, exited
	return v.waitHealthy(ctx)
}
