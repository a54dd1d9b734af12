// Command webhook is rasa-vault-webhook's one binary: the admission webhook (serve), the
// init container and renewal agent it injects (agent), and version.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

const usage = `usage: webhook <command> [flags]

commands:
  serve     run the mutating admission webhook
  agent     resolve endpoints.yml from Vault (--once: init container; else renewal agent)
  inject    preview offline: webhook inject -f pod.yaml --configmap cm.yaml
  agent probe  exit 0 when the running agent is healthy (the sidecar's exec probe)
  certs     write a CA and a serving certificate for the webhook's Service
  version   print the version

Run "webhook <command> -h" for the flags of a command.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run dispatches a subcommand and returns the process exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	switch args[0] {
	case "serve":
		return runServe(ctx, args[1:], stderr)
	case "agent":
		return runAgent(ctx, args[1:], stdout, stderr)
	case "inject":
		return runInject(args[1:], os.Stdin, stdout, stderr)
	case "certs":
		return runCerts(args[1:], stdout, stderr)
	case "version", "--version", "-version":
		return runVersion(stdout)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "webhook: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
}

// printedError marks an error the flag package has already printed, with the usage.
type printedError struct{ error }

// Unwrap lets errors.Is still find flag.ErrHelp.
func (e printedError) Unwrap() error { return e.error }

// parseFlags parses args into fs. With flag.ContinueOnError the flag package prints a
// parse error (or -h's usage) itself, so the error comes back marked as printed.
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		return printedError{err}
	}
	return nil
}

// usageExit reports a command-line error once and returns the usage exit code, 2, or 0
// for -h: errors found after parsing (extra arguments, a missing flag) are printed here.
func usageExit(err error, stderr io.Writer) int {
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	var printed printedError
	if !errors.As(err, &printed) {
		fmt.Fprintln(stderr, err)
	}
	return 2
}
