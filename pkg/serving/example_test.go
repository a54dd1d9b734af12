package serving_test

import (
	"context"
	"net/http"
	"os"
	"os/signal"
	"syscall"

	"github.com/rasa-vault-webhook/rasa-vault-webhook/pkg/serving"
)

// A webhook serves until SIGTERM, reporting readiness on a separate plain-HTTP port.
func Example() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()

	srv := &serving.Server{
		Addr:    ":9443",
		CertDir: "/tmp/k8s-webhook-server/serving-certs",
		Handler: http.NotFoundHandler(), // the admission handler
	}
	health := http.NewServeMux()
	health.HandleFunc("/readyz", func(w http.ResponseWriter, _ *http.Request) {
		if err := srv.Ready(); err != nil {
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
		}
	})
	go func() { _ = http.ListenAndServe("127.0.0.1:8081", health) }()

	if err := srv.Start(ctx); err != nil {
		os.Exit(1)
	}
}
