package main

import (
	"context"
	"fmt"
	"os"
	"strconv"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/rasa-vault-webhook/rasa-vault-webhook/test/harness"
)

// ourPath is where `webhook serve` answers pod reviews (pkg/webhook.Path).
const ourPath = "/mutate-pod"

// ourWebhook is `webhook serve` running against an envtest apiserver that holds the
// sample ConfigMap, so each review's ConfigMap GET is a real API round trip.
type ourWebhook struct {
	cluster *harness.Cluster
	proc    *process
	url     string
}

// startOurWebhook starts envtest, stores the sample's namespace and ConfigMap, and runs
// the real binary with the ConfigMap-read-only kubeconfig the chart's RBAC amounts to.
func startOurWebhook(ctx context.Context, dir, bin string, s *sample, cert *servingCert) (
	*ourWebhook, error,
) {
	cluster, err := harness.StartCluster(ctx, harness.ClusterOptions{})
	if err != nil {
		return nil, err
	}
	w := &ourWebhook{cluster: cluster}
	if err := w.seed(ctx, s); err != nil {
		w.stop()
		return nil, err
	}
	kubeconfig, err := cluster.WebhookKubeconfig(ctx, dir)
	if err != nil {
		w.stop()
		return nil, err
	}
	port, health, err := twoPorts()
	if err != nil {
		w.stop()
		return nil, err
	}
	w.proc, err = startProcess(dir, "webhook-serve", os.Environ(), bin, "serve",
		"--listen-address=127.0.0.1", "--port="+strconv.Itoa(port),
		"--cert-dir="+cert.Dir, "--kubeconfig="+kubeconfig,
		"--health-address=127.0.0.1:"+strconv.Itoa(health),
		"--agent-image=rasa-vault-webhook:bench")
	if err != nil {
		w.stop()
		return nil, err
	}
	w.url = fmt.Sprintf("https://127.0.0.1:%d%s", port, ourPath)
	return w, nil
}

// seed creates the sample's namespace and ConfigMap as an administrator would.
func (w *ourWebhook) seed(ctx context.Context, s *sample) error {
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: s.ConfigMap.Namespace}}
	if err := w.cluster.Client.Create(ctx, ns); err != nil {
		return fmt.Errorf("creating namespace %s: %w", ns.Name, err)
	}
	if err := w.cluster.Client.Create(ctx, s.ConfigMap.DeepCopy()); err != nil {
		return fmt.Errorf("creating ConfigMap %s: %w", s.ConfigMap.Name, err)
	}
	return nil
}

// stop ends the webhook and the control plane.
func (w *ourWebhook) stop() {
	if w.proc != nil {
		w.proc.stop()
	}
	if err := w.cluster.Stop(); err != nil {
		fmt.Fprintf(os.Stderr, "bench: stopping envtest: %v\n", err)
	}
}

// twoPorts picks two free loopback ports.
func twoPorts() (int, int, error) {
	a, err := harness.FreePort()
	if err != nil {
		return 0, 0, err
	}
	b, err := harness.FreePort()
	if err != nil {
		return 0, 0, err
	}
	return a, b, nil
}
