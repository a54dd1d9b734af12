package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"time"

	"github.com/go-logr/logr"

	"github.com/rasa-vault-webhook/rasa-vault-webhook/pkg/inject"
	"github.com/rasa-vault-webhook/rasa-vault-webhook/pkg/kube"
	"github.com/rasa-vault-webhook/rasa-vault-webhook/pkg/logging"
	"github.com/rasa-vault-webhook/rasa-vault-webhook/pkg/serving"
	"github.com/rasa-vault-webhook/rasa-vault-webhook/pkg/version"
	"github.com/rasa-vault-webhook/rasa-vault-webhook/pkg/webhook"
)

type serveFlags struct {
	listen, certDir, kubeconfig, health, image, logLevel string
	nativeSidecars, ownNamespace                         string
	port                                                 int
	configMapCache, patchCache                           bool
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
	fs.BoolVar(&f.patchCache, "patch-cache", true, "answer a replica of a recently injected "+
		"pod (the same JSON in the same namespace but for its token volume name and "+
		"managedFields) with the same patch, while its ConfigMap is unchanged (false: "+
		"decode and mutate every pod)")
	if err := parseFlags(fs, args); err != nil {
		return f, err
	}
	if fs.NArg() > 0 {
		return f, fmt.Errorf("serve takes no arguments, got %q", fs.Args())
	}
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
	if err := serve(ctx, f, log); err != nil {
		log.Error(err, "webhook stopped")
		return 1
	}
	return 0
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
	// One GET of one ConfigMap per review (or per cache miss), rate-limited by the
	// handler's cache (DefaultGetQPS).
	api, err := kube.Load(f.kubeconfig)
	if err != nil {
		return fmt.Errorf("kubernetes client: %w", err)
	}
	native, serverVersion, err := nativeSidecars(ctx, f.nativeSidecars, api)
	if err != nil {
		return err
	}
	opts.SidecarAsContainer = !native
	if !native {
		log.Info("renewal agent runs as a regular container: the apiserver has no native "+
			"sidecars, so Jobs with injected pods will not complete", "serverVersion",
			serverVersion)
	}
	handler := &webhook.Handler{Reader: api, Options: opts, Logger: log}
	if f.configMapCache {
		handler.Cache = webhook.NewConfigMapCache()
	}
	if f.patchCache {
		handler.Patches = webhook.NewPatchCache()
	}
	mux := http.NewServeMux()
	mux.Handle(webhook.Path, handler)
	srv := &serving.Server{Addr: net.JoinHostPort(f.listen, strconv.Itoa(f.port)),
		CertDir: f.certDir, Handler: mux, Logger: log}

	log.Info("starting webhook", "version", version.Version, "commit", version.Commit,
		"address", srv.Addr, "path", webhook.Path,
		"apiserver", api.Host(), "agentImage", opts.Image, "nativeSidecars", native,
		"excludedNamespaces", opts.ExcludedNamespaces, "configMapCache", f.configMapCache,
		"patchCache", f.patchCache)

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
func healthServer(ctx context.Context, addr string, srv *serving.Server) *http.Server {
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, "ok")
	})
	mux.HandleFunc("/readyz", func(w http.ResponseWriter, _ *http.Request) {
		if ctx.Err() != nil {
			http.Error(w, "shutting down", http.StatusServiceUnavailable)
			return
		}
		if err := srv.Ready(); err != nil {
			http.Error(w, "not ready: "+err.Error(), http.StatusServiceUnavailable)
			return
		}
		_, _ = io.WriteString(w, "ok")
	})
	mux.HandleFunc("/metrics", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
		webhook.WriteMetrics(w)
	})
	// ReadHeaderTimeout bounds slow-header (Slowloris) clients on this plain-HTTP port.
	return &http.Server{Addr: addr, Handler: mux, ReadHeaderTimeout: 5 * time.Second}
}
