package harness

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	vaultapi "github.com/hashicorp/vault/api"
)

// vaultStartTimeout bounds how long a dev server may take to answer /v1/sys/health; a
// warm start takes about two seconds, so thirty leaves room for a loaded CI machine.
const vaultStartTimeout = 30 * time.Second

// vaultStopTimeout is how long Stop waits after SIGTERM before it kills the server.
const vaultStopTimeout = 5 * time.Second

// vaultStartAttempts bounds retries when the free port picked for the server was taken
// by someone else between picking and binding.
const vaultStartAttempts = 3

// Vault is a running Vault dev server started by this harness. The server keeps all
// data in memory, listens on 127.0.0.1 only and dies with Stop.
type Vault struct {
	// Addr is the server's base URL, e.g. http://127.0.0.1:41234.
	Addr string
	// RootToken is the dev server's root token. Never log it.
	RootToken string
	// Client is an API client for Addr authenticated with RootToken.
	Client *vaultapi.Client

	dir      string
	logPath  string
	cmd      *exec.Cmd
	exited   chan struct{}
	stopOnce sync.Once
}

// StartVault starts a Vault dev server for the test and stops it when the test ends.
// The first call on a machine waits for the cached build of the vault binary. Under
// -short the calling test is skipped: every real-server test skips the same way.
func StartVault(t testing.TB) *Vault {
	t.Helper()
	if testing.Short() {
		t.Skip("starts a real Vault dev server")
	}
	v, err := StartVaultProcess(context.Background(), t.Logf)
	if err != nil {
		t.Fatalf("starting vault dev server: %v", err)
	}
	t.Cleanup(v.Stop)
	return v
}

// StartVaultProcess starts a Vault dev server outside a test, e.g. for a demo program.
// logf receives progress lines (never the root token); the caller must call Stop.
func StartVaultProcess(ctx context.Context, logf func(format string, args ...any)) (*Vault, error) {
	if logf == nil {
		logf = func(string, ...any) {}
	}
	logf("resolving the vault binary (a first build on this machine takes 10-15 minutes)")
	bin, err := ToolPath(ctx, "vault")
	if err != nil {
		return nil, err
	}
	var lastErr error
	for attempt := 1; attempt <= vaultStartAttempts; attempt++ {
		v, err := startVaultOnce(ctx, bin)
		if err == nil {
			logf("vault dev server listening on %s (log %s)", v.Addr, v.logPath)
			return v, nil
		}
		lastErr = err
		if ctx.Err() != nil {
			break
		}
		logf("vault dev server attempt %d failed: %v", attempt, err)
	}
	return nil, lastErr
}

// startVaultOnce starts one dev server on a freshly picked port and waits for health.
func startVaultOnce(ctx context.Context, bin string) (*Vault, error) {
	dir, err := os.MkdirTemp("", "rvw-vault-*")
	if err != nil {
		return nil, fmt.Errorf("creating vault temp dir: %w", err)
	}
	v, err := launchVault(bin, dir)
	if err != nil {
		_ = os.RemoveAll(dir)
		return nil, err
	}
	if err := v.waitHealthy(ctx); err != nil {
		v.Stop()
		return nil, err
	}
	return v, nil
}

// launchVault execs the dev server with a private HOME (dev mode writes ~/.vault-token)
// and an environment free of the caller's VAULT_* variables.
func launchVault(bin, dir string) (*Vault, error) {
	port, err := FreePort()
	if err != nil {
		return nil, err
	}
	// A random root token id cannot collide with another test's server.
	token := "root-" + RandomHex(16)
	listen := fmt.Sprintf("127.0.0.1:%d", port)
	logPath := filepath.Join(dir, "vault.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, fmt.Errorf("creating vault log file: %w", err)
	}
	defer func() { _ = logFile.Close() }()

	cmd := exec.Command(bin, "server", "-dev", "-dev-root-token-id="+token,
		"-dev-listen-address="+listen, "-log-level=info")
	cmd.Dir = dir
	cmd.Env = []string{"HOME=" + dir, "PATH=" + os.Getenv("PATH"), "TMPDIR=" + dir}
	cmd.Stdout = logFile
	cmd.Stderr = logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", bin, err)
	}

	v := &Vault{
		Addr:      "http://" + listen,
		RootToken: token,
		dir:       dir,
		logPath:   logPath,
		cmd:       cmd,
		exited:    make(chan struct{}),
	}
	go func() {
		_ = cmd.Wait()
		close(v.exited)
	}()
	client, err := newRootClient(v.Addr, token)
	if err != nil {
		v.Stop()
		return nil, err
	}
	v.Client = client
	return v, nil
}

// newRootClient builds an API client that ignores the caller's VAULT_* environment
// for address, token and namespace.
func newRootClient(addr, token string) (*vaultapi.Client, error) {
	cfg := &vaultapi.Config{
		Address:    addr,
		HttpClient: &http.Client{Timeout: 10 * time.Second},
		Timeout:    10 * time.Second,
		MaxRetries: 0,
	}
	client, err := vaultapi.NewClient(cfg)
	if err != nil {
		return nil, fmt.Errorf("creating vault root client: %w", err)
	}
	client.SetToken(token)
	client.ClearNamespace()
	return client, nil
}

// waitHealthy polls /v1/sys/health until the server reports itself initialised,
// unsealed and active and has mounted secret/, the server exits, or vaultStartTimeout
// passes.
func (v *Vault) waitHealthy(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, vaultStartTimeout)
	defer cancel()
	httpClient := &http.Client{Timeout: time.Second}
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, v.Addr+"/v1/sys/health", nil)
		if err != nil {
			return fmt.Errorf("building health request: %w", err)
		}
		if resp, err := httpClient.Do(req); err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK && v.kvMounted(ctx) {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("vault dev server not healthy within %s: %w; log tail:\n%s",
				vaultStartTimeout, ctx.Err(), v.LogTail(20))
		case <-v.exited:
			return fmt.Errorf("vault dev server exited during start; log tail:\n%s",
				v.LogTail(20))
		case <-tick.C:
		}
	}
}

// kvMounted reports whether dev mode has mounted KV v2 at secret/, which it does a
// moment after the server reports itself healthy.
func (v *Vault) kvMounted(ctx context.Context) bool {
	mount, err := v.Client.Sys().GetMountWithContext(ctx, "secret")
	return err == nil && mount != nil && mount.Type == "kv" && mount.Options["version"] == "2"
}

// Stop terminates the server (SIGTERM, then SIGKILL after vaultStopTimeout) and
// removes its temp dir. It is safe to call more than once.
func (v *Vault) Stop() {
	v.stopOnce.Do(func() {
		if v.cmd != nil && v.cmd.Process != nil {
			_ = v.cmd.Process.Signal(syscall.SIGTERM)
			select {
			case <-v.exited:
			case <-time.After(vaultStopTimeout):
				_ = v.cmd.Process.Kill()
				<-v.exited
			}
		}
		_ = os.RemoveAll(v.dir)
	})
}

// LogTail returns up to n last lines of the server's log with the root token blanked,
// for diagnosing a failed start.
func (v *Vault) LogTail(n int) string {
	data, err := os.ReadFile(v.logPath)
	if err != nil {
		return "(no log: " + err.Error() + ")"
	}
	text := strings.ReplaceAll(string(data), v.RootToken, "<root-token>")
	lines := strings.Split(strings.TrimRight(text, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// requestTimeout bounds each helper call against the dev server.
const requestTimeout = 10 * time.Second

// PutSecret writes data as a new version of the KV v2 secret at path on mount (the dev
// server mounts KV v2 at "secret").
func (v *Vault) PutSecret(mount, path string, data map[string]any) error {
	ctx, cancel := context.WithTimeout(context.Background(), requestTimeout)
	defer cancel()
	if _, err := v.Client.KVv2(mount).Put(ctx, path, data); err != nil {
		return fmt.Errorf("writing secret %s/data/%s: %w", mount, path, err)
	}
	return nil
}

// DeleteSecret soft-deletes the latest version of the KV v2 secret at path on mount.
func (v *Vault) DeleteSecret(mount, path string) error {
	ctx, cancel := context.WithTimeout(context.Background(), requestTimeout)
	defer cancel()
	if err := v.Client.KVv2(mount).Delete(ctx, path); err != nil {
		return fmt.Errorf("deleting secret %s/data/%s: %w", mount, path, err)
	}
	return nil
}

// WritePolicy creates or replaces the ACL policy name with the given HCL rules.
func (v *Vault) WritePolicy(name, rules string) error {
	ctx, cancel := context.WithTimeout(context.Background(), requestTimeout)
	defer cancel()
	if err := v.Client.Sys().PutPolicyWithContext(ctx, name, rules); err != nil {
		return fmt.Errorf("writing policy %s: %w", name, err)
	}
	return nil
}

// CreateToken creates an orphan token with the given policies (plus "default", which
// allows lookup-self and renew-self) and TTL; ttl 0 means the server's default.
func (v *Vault) CreateToken(policies []string, ttl time.Duration, renewable bool) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), requestTimeout)
	defer cancel()
	req := &vaultapi.TokenCreateRequest{
		Policies:  policies,
		Renewable: &renewable,
		NoParent:  true,
	}
	if ttl > 0 {
		req.TTL = ttl.String()
	}
	secret, err := v.Client.Auth().Token().CreateOrphanWithContext(ctx, req)
	if err != nil {
		return "", fmt.Errorf("creating token with policies %v: %w", policies, err)
	}
	if secret == nil || secret.Auth == nil || secret.Auth.ClientToken == "" {
		return "", errors.New("creating token: vault returned no token")
	}
	return secret.Auth.ClientToken, nil
}

// RevokeToken revokes token (and, having no parent, nothing else).
func (v *Vault) RevokeToken(token string) error {
	ctx, cancel := context.WithTimeout(context.Background(), requestTimeout)
	defer cancel()
	if err := v.Client.Auth().Token().RevokeOrphanWithContext(ctx, token); err != nil {
		return fmt.Errorf("revoking token: %w", err)
	}
	return nil
}

// EnableTransit mounts the Transit secrets engine at mount.
func (v *Vault) EnableTransit(mount string) error {
	ctx, cancel := context.WithTimeout(context.Background(), requestTimeout)
	defer cancel()
	err := v.Client.Sys().MountWithContext(ctx, mount, &vaultapi.MountInput{Type: "transit"})
	if err != nil {
		return fmt.Errorf("enabling transit at %s: %w", mount, err)
	}
	return nil
}

// TransitEncrypt encrypts plaintext with key on the Transit mount (creating the key on
// first use) and returns the "vault:v1:..." ciphertext.
func (v *Vault) TransitEncrypt(mount, key, plaintext string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), requestTimeout)
	defer cancel()
	path := mount + "/encrypt/" + key
	secret, err := v.Client.Logical().WriteWithContext(ctx, path, map[string]any{
		"plaintext": base64.StdEncoding.EncodeToString([]byte(plaintext)),
	})
	if err != nil {
		return "", fmt.Errorf("encrypting with %s: %w", path, err)
	}
	if secret == nil || secret.Data == nil {
		return "", fmt.Errorf("encrypting with %s: vault returned no data", path)
	}
	ciphertext, ok := secret.Data["ciphertext"].(string)
	if !ok || ciphertext == "" {
		return "", fmt.Errorf("encrypting with %s: vault returned no ciphertext", path)
	}
	return ciphertext, nil
}
