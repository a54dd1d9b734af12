package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// agentKind tells the two agents apart: ours (`webhook agent`) and `vault agent`.
type agentKind int

const (
	ourAgent agentKind = iota
	vaultAgent
)

func (k agentKind) String() string {
	if k == ourAgent {
		return "rasa-vault-webhook agent"
	}
	return "vault agent"
}

// agentRun describes one agent process: which agent, against which Vault address (the
// dev server or a counting proxy), with which token, writing where.
type agentRun struct {
	kind      agentKind
	once      bool
	addr      string
	token     string
	outDir    string
	refresh   time.Duration // 0: the agent's default re-read interval
	vaultBin  string
	sourceDir string
}

// outFile is where the run's resolved endpoints.yml appears.
func (r agentRun) outFile() string { return filepath.Join(r.outDir, "endpoints.yml") }

// start launches the agent; work files go under dir/<name>.
func (r agentRun) start(dir, name, webhookBin string) (*process, error) {
	work := filepath.Join(dir, name)
	if err := os.MkdirAll(r.outDir, 0o755); err != nil {
		return nil, fmt.Errorf("creating %s: %w", r.outDir, err)
	}
	if err := os.MkdirAll(work, 0o700); err != nil {
		return nil, fmt.Errorf("creating %s: %w", work, err)
	}
	if r.kind == ourAgent {
		return r.startOurs(work, name, webhookBin)
	}
	return r.startVaultAgent(work, name)
}

// startOurs runs `webhook agent` with the environment the injected container gets.
func (r agentRun) startOurs(work, name, bin string) (*process, error) {
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + work,
		"SECRET_MANAGER=vault", "VAULT_URL=" + r.addr, "VAULT_TOKEN=" + r.token}
	args := []string{bin, "agent", "--source-dir=" + r.sourceDir, "--output-dir=" + r.outDir,
		"--termination-message-path=" + filepath.Join(work, "termination-log")}
	if r.once {
		args = append(args, "--once")
	}
	if r.refresh > 0 {
		args = append(args, "--refresh-interval="+r.refresh.String())
	}
	return startProcess(work, name, env, args...)
}

// startVaultAgent runs `vault agent` with token-file auto-auth and one template that
// renders the same endpoints.yml; with once it passes -exit-after-auth, as vault-k8s's
// init container does.
func (r agentRun) startVaultAgent(work, name string) (*process, error) {
	tokenFile := filepath.Join(work, "token")
	if err := os.WriteFile(tokenFile, []byte(r.token), 0o600); err != nil {
		return nil, fmt.Errorf("writing %s: %w", tokenFile, err)
	}
	tmpl := filepath.Join(work, "endpoints.ctmpl")
	if err := os.WriteFile(tmpl, []byte(vaultTemplate), 0o600); err != nil {
		return nil, fmt.Errorf("writing %s: %w", tmpl, err)
	}
	var cfg strings.Builder
	fmt.Fprintf(&cfg, "vault {\n  address = %q\n}\n", r.addr)
	fmt.Fprintf(&cfg, "auto_auth {\n  method \"token_file\" {\n    config = {\n"+
		"      token_file_path = %q\n    }\n  }\n}\n", tokenFile)
	fmt.Fprintf(&cfg, "template {\n  source = %q\n  destination = %q\n  perms = \"0440\"\n}\n",
		tmpl, r.outFile())
	if r.refresh > 0 {
		fmt.Fprintf(&cfg, "template_config {\n  static_secret_render_interval = %q\n}\n",
			r.refresh.String())
	}
	cfgFile := filepath.Join(work, "agent.hcl")
	if err := os.WriteFile(cfgFile, []byte(cfg.String()), 0o600); err != nil {
		return nil, fmt.Errorf("writing %s: %w", cfgFile, err)
	}
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + work}
	args := []string{r.vaultBin, "agent", "-config=" + cfgFile}
	if r.once {
		args = append(args, "-exit-after-auth")
	}
	return startProcess(work, name, env, args...)
}

// resolved reports whether the run's output holds the secret.
func (r agentRun) resolved() bool {
	data, err := os.ReadFile(r.outFile())
	return err == nil && bytes.Contains(data, []byte(dbPassword))
}

// waitResolved polls for the resolved file until timeout or the process exits.
func waitResolved(r agentRun, p *process, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if r.resolved() {
			return nil
		}
		if !p.running() {
			return fmt.Errorf("%s exited without a resolved file: %v; log:\n%s",
				r.kind, p.err, p.logTail(15))
		}
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Errorf("%s wrote no resolved file within %s; log:\n%s",
		r.kind, timeout, p.logTail(15))
}
