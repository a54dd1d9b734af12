package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
)

// runTimeout bounds the whole run so nothing it starts can outlive a stuck phase; the
// phases add up to about four minutes.
const runTimeout = 9 * time.Minute

// options are the command's flags.
type options struct {
	webhookBin, agentBin, vaultK8sBin, sample, out string
	only                                           string
	admission                                      admissionConfig
	agentRuns                                      int
	steady, loadWindow                             time.Duration
}

func parseFlags() options {
	var o options
	flag.StringVar(&o.webhookBin, "webhook-bin", "", "the product binary, built as shipped")
	flag.StringVar(&o.agentBin, "agent-bin", "", "the binary run as \"<bin> agent …\" "+
		"(default: -webhook-bin), for an agent shipped as its own binary")
	flag.StringVar(&o.vaultK8sBin, "vault-k8s-bin", "", "vault-k8s built by build-vault-k8s.sh")
	flag.StringVar(&o.sample, "sample", "test/bench/testdata/rasa-chart-style.yaml",
		"the Rasa-chart-style ConfigMap and Pod")
	flag.StringVar(&o.out, "out", "", "also write the markdown results to this file")
	flag.StringVar(&o.only, "only", "admission,agent,vaultload,size",
		"comma-separated phases to run")
	flag.IntVar(&o.admission.workers, "workers", 8, "closed-loop concurrency")
	flag.Float64Var(&o.admission.rate, "rate", 500, "open-loop requests per second")
	flag.DurationVar(&o.admission.warmup, "warmup", 2*time.Second, "warm-up per webhook")
	flag.DurationVar(&o.admission.closed, "closed", 10*time.Second, "closed-loop duration")
	flag.DurationVar(&o.admission.open, "open", 10*time.Second, "open-loop duration")
	flag.IntVar(&o.agentRuns, "agent-runs", 7, "init runs per side (the median is reported)")
	flag.DurationVar(&o.steady, "steady", 30*time.Second, "agent steady-state window")
	flag.DurationVar(&o.loadWindow, "load-window", 60*time.Second, "Vault-load window")
	flag.Parse()
	if o.agentBin == "" {
		o.agentBin = o.webhookBin
	}
	return o
}

// logf prints progress to stderr; stdout carries only the results.
func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "bench: "+format+"\n", args...)
}

func main() {
	if len(os.Args) > 1 && os.Args[1] == floorCommand {
		if err := runFloorServer(os.Args[2:]); err != nil {
			fmt.Fprintf(os.Stderr, "bench %s: %v\n", floorCommand, err)
			os.Exit(1)
		}
		return
	}
	o := parseFlags()
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	ctx, cancel := context.WithTimeout(ctx, runTimeout)
	err := run(ctx, o)
	cancel()
	stop()
	if err != nil {
		fmt.Fprintf(os.Stderr, "bench: %v\n", err)
		os.Exit(1)
	}
}

// run measures each phase asked for and prints the table.
func run(ctx context.Context, o options) error {
	dir, err := os.MkdirTemp("", "rvw-bench-")
	if err != nil {
		return fmt.Errorf("creating the work dir: %w", err)
	}
	defer os.RemoveAll(dir)
	r := &report{started: time.Now().UTC(), opts: o}
	phases := map[string]func(context.Context, string, *report) error{
		"admission": runAdmission, "agent": runAgent,
		"vaultload": runVaultLoad, "size": runSize,
	}
	for _, name := range strings.Split(o.only, ",") {
		phase, ok := phases[name]
		if !ok {
			return fmt.Errorf("unknown phase %q", name)
		}
		start := time.Now()
		if err := phase(ctx, dir, r); err != nil {
			return fmt.Errorf("phase %s: %w", name, err)
		}
		logf("phase %s took %s", name, time.Since(start).Round(time.Second))
	}
	text := r.markdown()
	fmt.Print(text)
	if o.out != "" {
		if err := os.WriteFile(o.out, []byte(text), 0o644); err != nil {
			return fmt.Errorf("writing %s: %w", o.out, err)
		}
	}
	return nil
}
