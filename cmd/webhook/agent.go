package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/rasa-vault-webhook/rasa-vault-webhook/pkg/agent"
	"github.com/rasa-vault-webhook/rasa-vault-webhook/pkg/logging"
	"github.com/rasa-vault-webhook/rasa-vault-webhook/pkg/vault"
)

// agentFlags are the parsed flags of `webhook agent`.
type agentFlags struct {
	opts       agent.Options
	logLevel   string
	healthAddr string
}

// agentUsage heads `webhook agent -h`, naming the probe subcommand the flag set
// itself cannot show.
const agentUsage = `usage: webhook agent [flags]        resolve endpoints.yml and keep it current
       webhook agent probe [flags]  exit 0 when the running agent is healthy
                                    (the sidecar's exec probe; see "webhook agent probe -h")

flags of webhook agent:
`

// parseAgentFlags reads the flags of `webhook agent`; usage and errors go to stderr.
func parseAgentFlags(args []string, stderr io.Writer) (agentFlags, error) {
	var f agentFlags
	o := &f.opts
	fs := flag.NewFlagSet("agent", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, agentUsage)
		fs.PrintDefaults()
	}
	fs.BoolVar(&o.Once, "once", false,
		"init container mode: resolve, write the files, exit (else: stay up as renewal agent)")
	fs.StringVar(&o.SourceDir, "source-dir", "/rvw/config",
		"where the pod's ConfigMap volume is mounted")
	fs.StringVar(&o.EndpointsFile, "endpoints-file", agent.DefaultEndpointsFile,
		"path of endpoints.yml inside --source-dir")
	fs.StringVar(&o.OutputDir, "output-dir", "/rvw/out",
		"the in-memory volume the resolved files are written to")
	fs.BoolVar(&o.CopyOthers, "copy-others", false,
		"also copy the ConfigMap's other files (directory-mount layout)")
	fs.StringVar(&o.TerminationMessagePath, "termination-message-path",
		agent.DefaultTerminationMessagePath,
		"file receiving a one-line cause when the agent fails")
	fs.DurationVar(&o.InitTimeout, "init-timeout", agent.DefaultInitTimeout,
		"how long to retry an unreachable Vault before failing")
	fs.DurationVar(&o.RefreshInterval, "refresh-interval", agent.DefaultRefreshInterval,
		"renewal agent: how often to re-read the secrets (at least 1s)")
	fs.StringVar(&o.Auth.Method, "auth-method", agent.AuthToken,
		"how to get the Vault token: token (VAULT_TOKEN, secrets_manager.token or "+
			"--token-file) or kubernetes (log in with the service-account token)")
	fs.StringVar(&o.Auth.TokenFile, "token-file", "",
		"token auth: read the Vault token from this file (wins over VAULT_TOKEN); "+
			"the agent re-reads it when it changes or Vault refuses the token")
	fs.StringVar(&o.Auth.Role, "auth-role", "", "kubernetes auth: the Vault role")
	fs.StringVar(&o.Auth.Mount, "auth-mount", vault.DefaultKubernetesMount,
		"kubernetes auth: the method's mount path (auth/<mount>)")
	fs.StringVar(&o.Auth.Mount, "auth-path", vault.DefaultKubernetesMount,
		"same as --auth-mount (the name the webhook's annotation uses)")
	fs.StringVar(&o.Auth.TokenPath, "sa-token-path", vault.DefaultServiceAccountTokenPath,
		"kubernetes auth: the service-account token file")
	fs.BoolVar(&o.RevokeOnExit, "revoke-on-exit", false,
		"revoke the Vault token when the agent stops (init mode: only a logged-in token)")
	fs.StringVar(&f.healthAddr, "health-addr", agent.DefaultHealthAddr,
		"renewal agent: loopback address of the probe endpoint (empty: none)")
	fs.StringVar(&f.logLevel, "log-level", "info", "debug, info or error")
	if err := parseFlags(fs, args); err != nil {
		return f, err
	}
	if fs.NArg() > 0 {
		return f, fmt.Errorf("agent takes no arguments, got %q", fs.Args())
	}
	if err := agent.CheckRefreshInterval(o.RefreshInterval); err != nil {
		return f, err
	}
	return f, nil
}

// runAgentTo is `webhook agent` and `webhook agent probe`: the probe prints its
// one-line result to stdout; the agent logs to stderr. It returns the exit code.
func runAgent(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "probe" {
		return runProbe(ctx, args[1:], stdout, stderr)
	}
	f, err := parseAgentFlags(args, stderr)
	if err != nil {
		return usageExit(err, stderr)
	}
	log, err := logging.New(stderr, f.logLevel)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 2
	}
	opts := f.opts
	opts.Logger = log
	opts.LookupEnv = os.LookupEnv
	opts.Health = agent.NewHealth()
	if !opts.Once && f.healthAddr != "" {
		// Not fatal: the files matter more than the probe. The probe then fails, which
		// keeps the pod unready and points at this log line.
		if _, err := agent.ServeHealth(ctx, f.healthAddr, opts.Health, log); err != nil {
			log.Error(err, "health endpoint unavailable; the agent's probe will fail")
		}
	}
	// Run logs its start (with the version) and any failure itself, once each.
	if err := agent.Run(ctx, opts); err != nil {
		return 1
	}
	return 0
}
