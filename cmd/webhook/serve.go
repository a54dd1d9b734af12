package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/metrics"
	ctrlwebhook "sigs.k8s.io/controller-runtime/pkg/webhook"

	"github.com/rasa-vault-webhook/rasa-vault-webhook/pkg/inject"
	"github.com/rasa-vault-webhook/rasa-vault-webhook/pkg/logging"
	"github.com/rasa-vault-webhook/rasa-vault-webhook/pkg/version"
	"github.com/rasa-vault-webhook/rasa-vault-webhook/pkg/webhook"
)

type serveFlags struct {
	listen, certDir, kubeconfig, health, image, logLevel string
	nativeSidecars, ownNamespace                         string
	port                                                 int
	configMapCache                                       bool
}

func parseServeFlags(args []string, stderr io.Writer) (serveFlags, error) {
	var f serveFlags
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&f.listen, "listen-address", "", "address to serve admission reviews on "+
		"(empty: every address)")
	fs.IntVar(&f.port, "port", 9443, "HTTPS port for admission reviews")
	fs.StringVar(&f.certDir, "cert-dir", "/etc/rasa-vault-webhook/tls",
		"directory holding tls.crt and tls.key (reloaded when they change)")
	fs.StringVar(&f.kubeconfig, "kubeconfig", "", "kubeconfig file (empty: in-cluster config)")
	fs.StringVar(&f.health, "health-address", ":8081",
		"address serving /healthz, /readyz and /metrics over plain HTTP")
	fs.StringVar(&f.image, "agent-image", inject.DefaultImage,
		"image of the injected init container and renewal agent (this binary's image)")
	fs.StringVar(&f.logLevel, "log-level", "info", "debug, info or error")
	fs.StringVar(&f.nativeSidecars, "native-sidecars", "auto", "run the renewal agent as "+
		"a native sidecar: auto (if the apiserver is 1.29 or newer), true or false")
	fs.StringVar(&f.ownNamespace, "own-namespace", os.Getenv("POD_NAMESPACE"),
		"the webhook's own namespace, whose pods are never touched (default $POD_NAMESPACE)")
	fs.BoolVar(&f.configMapCache, "configmap-cache", true, "keep recently read "+
		"endpoints.yml keys for 30s and rate-limit ConfigMap GETs (false: one GET per review)")
	if err := parseFlags(fs, args); err != nil {
		return f, err
	}
	if fs.NArg() > 0 {
		return f, fmt.Errorf("serve takes no arguments, got %q", fs.Args())
	}
	// controller-runtime reads a port <= 0 as "webhook server disabled" and would exit 0.
	if f.port < 1 || f.port > 65535 {
		return f, fmt.Errorf("--port %d: use a TCP port from 1 to 65535", f.port)
	}
	switch f.nativeSidecars {
	case "auto", "true", "false":
	default:
		return f, fmt.Errorf("--native-sidecars: %q is not auto, true or false",
			f.nativeSidecars)
	}
	return f, nil
}

func runServe(ctx context.Context, args []string, stderr io.Writer) int {
	f, err := parseServeFlags(args, stderr)
	if err != nil {
		return usageExit(err, stderr)
	}
	log, err := logging.New(stderr, f.logLevel)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 2
	}
	ctrllog.SetLogger(log)
	if err := serve(ctx, f, log); err != nil {
		log.Error(err, "webhook stopped")
		return 1
	}
	return 0
}

func restConfig(kubeconfig string) (*rest.Config, error) {
	if kubeconfig == "" {
		cfg, err := rest.InClusterConfig()
		if err != nil {
			return nil, fmt.Errorf("in-cluster config (pass --kubeconfig outside a "+
				"cluster): %w", err)
		}
		return cfg, nil
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		return nil, fmt.Errorf("loading kubeconfig %s: %w", kubeconfig, err)
	}
	return cfg, nil
}

func serve(ctx context.Context, f serveFlags, log logr.Logger) error {
	opts := inject.DefaultOptions()
	opts.Image = f.image
	if f.ownNamespace != "" {
		opts.ExcludedNamespaces = append(opts.ExcludedNamespaces, f.ownNamespace)
	}
	if err := opts.Validate(); err != nil {
		return fmt.Errorf("injection options: %w", err)
	}
	cfg, err := restConfig(f.kubeconfig)
	if err != nil {
		return err
	}
	// client-go's default of 5 requests/s (burst 10) throttled cache misses to a few
	// reviews a second in the benchmark, and reviews waiting on it timed out; the
	// handler's own limiter (DefaultGetQPS) is the one that should bind.
	cfg.QPS, cfg.Burst = webhook.DefaultGetQPS, webhook.DefaultGetBurst
	native, serverVersion, err := nativeSidecars(f.nativeSidecars, cfg)
	if err != nil {
		return err
	}
	opts.SidecarAsContainer = !native
	if !native {
		log.Info("renewal agent runs as a regular container: the apiserver has no native "+
			"sidecars, so Jobs with injected pods will not complete", "serverVersion",
			serverVersion)
	}
	// A direct client: each review GETs one ConfigMap in the pod's namespace.
	reader, err := client.New(cfg, client.Options{})
	if err != nil {
		return fmt.Errorf("creating Kubernetes client: %w", err)
	}

	srv := ctrlwebhook.NewServer(ctrlwebhook.Options{
		Host: f.listen, Port: f.port, CertDir: f.certDir,
	})
	handler := &webhook.Handler{Reader: reader, Options: opts, Logger: log}
	if f.configMapCache {
		handler.Cache = webhook.NewConfigMapCache()
	}
	webhook.Register(srv, handler)

	log.Info("starting webhook", "version", version.Version, "commit", version.Commit,
		"address", fmt.Sprintf("%s:%d", f.listen, f.port), "path", webhook.Path,
		"agentImage", opts.Image, "nativeSidecars", native,
		"excludedNamespaces", opts.ExcludedNamespaces, "configMapCache", f.configMapCache)

	errc := make(chan error, 2)
	go func() { errc <- srv.Start(ctx) }()
	health := healthServer(ctx, f.health, srv)
	go func() {
		if err := health.ListenAndServe(); !errors.Is(err, http.ErrServerClosed) {
			errc <- fmt.Errorf("health server: %w", err)
		}
	}()

	select {
	case err = <-errc:
	case <-ctx.Done():
		// srv.Start drains in-flight reviews when ctx ends; wait for it.
		err = <-errc
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = health.Shutdown(shutdownCtx)
	return err
}

// healthServer serves liveness, readiness (true only once the TLS server answers with
// a loaded certificate, and false again once shutdown begins, so the Service stops
// sending reviews while in-flight ones finish) and Prometheus metrics.
func healthServer(ctx context.Context, addr string, srv ctrlwebhook.Server) *http.Server {
	started := srv.StartedChecker()
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, "ok")
	})
	mux.HandleFunc("/readyz", func(w http.ResponseWriter, r *http.Request) {
		if ctx.Err() != nil {
			http.Error(w, "shutting down", http.StatusServiceUnavailable)
			return
		}
		if err := started(r); err != nil {
			http.Error(w, "not ready: "+err.Error(), http.StatusServiceUnavailable)
			return
		}
		_, _ = io.WriteString(w, "ok")
	})
	mux.Handle("/metrics", promhttp.HandlerFor(metrics.Registry, promhttp.HandlerOpts{}))
	// ReadHeaderTimeout bounds slow-header (Slowloris) clients on this plain-HTTP port.
	return &http.Server{Addr: addr, Handler: mux, ReadHeaderTimeout: 5 * time.Second}
}
