package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/rasa-vault-webhook/rasa-vault-webhook/pkg/agent"
	"github.com/rasa-vault-webhook/rasa-vault-webhook/pkg/logging"
	"github.com/rasa-vault-webhook/rasa-vault-webhook/pkg/version"
)

func parseAgentFlags(args []string, stderr io.Writer) (agent.Options, string, error) {
	var o agent.Options
	var logLevel string
	fs := flag.NewFlagSet("agent", flag.ContinueOnError)
	fs.SetOutput(stderr)
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
		"renewal agent: how often to re-read the secrets")
	fs.StringVar(&logLevel, "log-level", "info", "debug, info or error")
	if err := fs.Parse(args); err != nil {
		return o, "", err
	}
	if fs.NArg() > 0 {
		return o, "", fmt.Errorf("agent takes no arguments, got %q", fs.Args())
	}
	return o, logLevel, nil
}

func runAgent(ctx context.Context, args []string, stderr io.Writer) int {
	opts, logLevel, err := parseAgentFlags(args, stderr)
	if err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(stderr, err)
		}
		return 2
	}
	log, err := logging.New(stderr, logLevel)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 2
	}
	opts.Logger = log
	opts.LookupEnv = os.LookupEnv
	log.Info("starting agent", "version", version.Version, "once", opts.Once)
	if err := agent.Run(ctx, opts); err != nil {
		log.Error(err, "agent failed")
		return 1
	}
	return 0
}
