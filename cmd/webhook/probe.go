package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/rasa-vault-webhook/rasa-vault-webhook/pkg/agent"
)

// runProbe is `webhook agent probe`: the kubelet's exec probe for the renewal agent in
// an image without a shell. It exits 0 when the agent answers healthy, 1 otherwise,
// printing one line the kubelet shows in the pod's events.
func runProbe(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	var p agent.Probe
	var check string
	fs := flag.NewFlagSet("agent probe", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&p.Addr, "health-addr", agent.DefaultHealthAddr,
		"the agent's --health-addr")
	fs.StringVar(&check, "check", "ready",
		"started (the files are written) or ready (written, token alive, Vault answering)")
	fs.DurationVar(&p.Timeout, "timeout", time.Second, "how long to wait for the answer")
	if err := parseFlags(fs, args); err != nil {
		return usageExit(err, stderr)
	}
	switch check {
	case "ready":
		p.Path = agent.PathReady
	case "started":
		p.Path = agent.PathStarted
	default:
		fmt.Fprintf(stderr, "--check %q is not started or ready\n", check)
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "agent probe takes no arguments, got %q\n", fs.Args())
		return 2
	}
	summary, err := p.Check(ctx)
	if err != nil {
		fmt.Fprintln(stdout, err)
		return 1
	}
	fmt.Fprintln(stdout, summary)
	return 0
}
