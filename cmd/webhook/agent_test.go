package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-logr/logr"

	"github.com/rasa-vault-webhook/rasa-vault-webhook/pkg/agent"
)

func TestAgentFlagsConfigureAuth(t *testing.T) {
	tests := []struct {
		name  string
		args  []string
		check func(t *testing.T, o agent.Options)
	}{
		{"no flags mean token auth on the default mount", nil,
			func(t *testing.T, o agent.Options) {
				if o.Auth.Method != agent.AuthToken || o.Auth.Mount != "kubernetes" {
					t.Errorf("Auth = %+v", o.Auth)
				}
			}},
		{"--auth-path is the annotation's name for --auth-mount",
			[]string{"--auth-method=kubernetes", "--auth-role=rasa", "--auth-path=k8s-eu"},
			func(t *testing.T, o agent.Options) {
				if o.Auth.Mount != "k8s-eu" || o.Auth.Role != "rasa" {
					t.Errorf("Auth = %+v", o.Auth)
				}
			}},
		{"--token-file and --revoke-on-exit are read",
			[]string{"--token-file=/var/run/secrets/vault-token", "--revoke-on-exit"},
			func(t *testing.T, o agent.Options) {
				if o.Auth.TokenFile != "/var/run/secrets/vault-token" || !o.RevokeOnExit {
					t.Errorf("Options = %+v", o)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := parseAgentFlags(tt.args, &bytes.Buffer{})
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, f.opts)
		})
	}
}

func TestProbeCommandExitsByTheAgentsHealth(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	h := agent.NewHealth()
	addr, err := agent.ServeHealth(ctx, "127.0.0.1:0", h, logr.Discard())
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	probe := func(args ...string) (int, string) {
		var out bytes.Buffer
		code := runAgent(ctx, append([]string{"probe", "--health-addr=" + addr.String()},
			args...), &out, &stderr)
		return code, out.String()
	}

	if code, out := probe(); code != 1 || !strings.Contains(out, "ready=false") {
		t.Errorf("probe before the first write = %d, stdout %q; want 1 and the state on "+
			"stdout", code, out)
	}
	if stderr.Len() > 0 {
		t.Errorf("probe wrote its result to stderr: %q, want it on stdout", stderr.String())
	}
	if code, _ := probe("--check=bogus"); code != 2 {
		t.Errorf("probe with a bad --check = %d, want 2", code)
	}
	stop := make(chan struct{})
	defer close(stop)
	go agentWrites(t, h, stop)
	deadline := time.Now().Add(5 * time.Second)
	for {
		code, out := probe("--check=started")
		if code == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("probe never passed: %q", out)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// agentWrites runs the agent once against nothing but a file with no references, which
// makes Health ready without a Vault.
func agentWrites(t *testing.T, h *agent.Health, stop <-chan struct{}) {
	src, out := t.TempDir(), t.TempDir()
	doc := []byte("action_endpoint:\n  url: http://a:5055\n")
	if err := os.WriteFile(filepath.Join(src, "endpoints.yml"), doc, 0o644); err != nil {
		t.Error(err)
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-stop
		cancel()
	}()
	_ = agent.Run(ctx, agent.Options{SourceDir: src, OutputDir: out, Health: h,
		TerminationMessagePath: filepath.Join(t.TempDir(), "termination-log")})
}

func TestAgentCommandLogsStartAndFailureOnce(t *testing.T) {
	src := t.TempDir()
	bad := []byte("tracker_store:\n  password:\n    source: secrets_manager.vault\n")
	if err := os.WriteFile(filepath.Join(src, "endpoints.yml"), bad, 0o644); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	code := runAgent(context.Background(), []string{"--once", "--source-dir=" + src,
		"--output-dir=" + t.TempDir(),
		"--termination-message-path=" + filepath.Join(t.TempDir(), "termination-log")},
		&stdout, &stderr)
	if code != 1 {
		t.Fatalf("exit code = %d, want 1 for a broken endpoints file; stderr:\n%s", code,
			stderr.String())
	}
	logs := stderr.String()
	for _, msg := range []string{"agent failed", "agent starting"} {
		if n := strings.Count(logs, msg); n != 1 {
			t.Errorf("%q logged %d times, want once:\n%s", msg, n, logs)
		}
	}
	if strings.Contains(logs, "starting agent") {
		t.Errorf("start logged twice, as \"agent starting\" and \"starting agent\":\n%s", logs)
	}
}

func TestAgentHelpNamesTheProbeSubcommand(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := runAgent(context.Background(), []string{"-h"}, &stdout, &stderr); code != 0 {
		t.Errorf("agent -h exit code = %d, want 0: help was asked for", code)
	}
	help := stderr.String()
	if !strings.Contains(help, "webhook agent probe") || !strings.Contains(help, "--once") &&
		!strings.Contains(help, "-once") {
		t.Errorf("agent -h does not show the probe subcommand and the flags:\n%s", help)
	}
}

func TestAgentRefusesARefreshIntervalBelowOneSecond(t *testing.T) {
	tests := []struct {
		name    string
		value   string
		wantErr string
	}{
		{"one nanosecond is refused", "1ns", "--refresh-interval 1ns is below the minimum of 1s"},
		{"zero is refused", "0s", "--refresh-interval 0s is below the minimum of 1s"},
		{"one second is the minimum", "1s", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := parseAgentFlags([]string{"--refresh-interval=" + tt.value},
				&bytes.Buffer{})
			if tt.wantErr == "" {
				if err != nil || f.opts.RefreshInterval != time.Second {
					t.Errorf("parseAgentFlags = %v, %v; want 1s accepted", f.opts.RefreshInterval,
						err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("parseAgentFlags error = %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}
