package scenario

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"time"

	admissionv1 "k8s.io/api/admissionregistration/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/rasa-vault-webhook/rasa-vault-webhook/test/harness"
)

// World is every real part the scenario needs, started and wired together.
type World struct {
	Cluster  *harness.Cluster
	Vault    *harness.Vault
	Postgres *harness.Postgres
	// Webhook is the `webhook serve` process, the real binary.
	Webhook *exec.Cmd
	// WebhookBin and AssistantBin are the programs the pod runner plays containers with.
	WebhookBin, AssistantBin string
	// WebhookLog collects what `webhook serve` printed.
	WebhookLog *SyncBuffer
	dir        string
}

// SyncBuffer is an output sink a process and a reader can share.
type SyncBuffer struct {
	mu  sync.Mutex
	buf []byte
}

// Write appends p.
func (b *SyncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf = append(b.buf, p...)
	return len(p), nil
}

// String returns everything written so far.
func (b *SyncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return string(b.buf)
}

// Step is called before each stage so the demo can narrate; tests pass a logger.
type Step func(format string, args ...any) func()

// webhookConfig is the MutatingWebhookConfiguration the chart installs, pointed at the
// local webhook: CREATE of pods only, and only for pods that carry the opt-in annotation.
func webhookConfig(port int) *admissionv1.MutatingWebhookConfiguration {
	url := fmt.Sprintf("https://127.0.0.1:%d/mutate-pod", port)
	fail := admissionv1.Fail
	none := admissionv1.SideEffectClassNone
	ifNeeded := admissionv1.IfNeededReinvocationPolicy
	return &admissionv1.MutatingWebhookConfiguration{
		ObjectMeta: metav1.ObjectMeta{Name: "rasa-vault-webhook"},
		Webhooks: []admissionv1.MutatingWebhook{{
			Name:                    "pods.rasa-vault-webhook.io",
			ClientConfig:            admissionv1.WebhookClientConfig{URL: &url},
			AdmissionReviewVersions: []string{"v1"},
			SideEffects:             &none,
			FailurePolicy:           &fail,
			TimeoutSeconds:          ptr.To[int32](5),
			ReinvocationPolicy:      &ifNeeded,
			Rules: []admissionv1.RuleWithOperations{{
				Operations: []admissionv1.OperationType{admissionv1.Create},
				Rule: admissionv1.Rule{
					APIGroups: []string{""}, APIVersions: []string{"v1"},
					Resources: []string{"pods"},
				},
			}},
			MatchConditions: []admissionv1.MatchCondition{{
				Name: "opted-in",
				Expression: "has(object.metadata.annotations) && " +
					"'rasa-vault-webhook.io/inject' in object.metadata.annotations",
			}},
			NamespaceSelector: &metav1.LabelSelector{
				MatchExpressions: []metav1.LabelSelectorRequirement{{
					Key:      "kubernetes.io/metadata.name",
					Operator: metav1.LabelSelectorOpNotIn,
					Values:   []string{"kube-system", "kube-public", "kube-node-lease"},
				}},
			},
		}},
	}
}

// Start brings up the whole world. Call Stop when done, also on error paths.
func Start(ctx context.Context, step Step) (w *World, err error) {
	w = &World{WebhookLog: &SyncBuffer{}}
	defer func() {
		if err != nil {
			w.Stop()
			w = nil
		}
	}()
	if w.dir, err = os.MkdirTemp("", "rvw-world-"); err != nil {
		return w, fmt.Errorf("creating scenario dir: %w", err)
	}
	// Containers in the pod runner may run as the pod's own user: let it reach the binaries.
	if err = os.Chmod(w.dir, 0o755); err != nil {
		return w, err
	}

	done := step("build the webhook binary and the stand-in assistant")
	if w.WebhookBin, err = harness.BuildWebhook(ctx, w.dir); err != nil {
		return w, err
	}
	if w.AssistantBin, err = buildAssistant(ctx, w.dir); err != nil {
		return w, err
	}
	done()

	port, err := harness.FreePort()
	if err != nil {
		return w, err
	}
	done = step("start etcd + kube-apiserver (envtest) with the webhook registered")
	w.Cluster, err = harness.StartCluster(ctx, harness.ClusterOptions{
		MutatingWebhooks: []*admissionv1.MutatingWebhookConfiguration{webhookConfig(port)},
	})
	if err != nil {
		return w, err
	}
	done()

	done = step("start Vault (dev server) and PostgreSQL")
	if w.Vault, err = harness.StartVaultProcess(ctx, nil); err != nil {
		return w, err
	}
	if w.Postgres, err = harness.StartPostgres(ctx); err != nil {
		return w, err
	}
	done()

	done = step("start `webhook serve` with ConfigMap-read-only credentials")
	if err = w.startWebhook(ctx, port); err != nil {
		return w, err
	}
	done()
	return w, nil
}

func buildAssistant(ctx context.Context, dir string) (string, error) {
	root, err := harness.RepoRoot()
	if err != nil {
		return "", err
	}
	out := filepath.Join(dir, "assistant")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", out, "./test/assistant")
	cmd.Dir = root
	if msg, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("building the stand-in assistant: %w\n%s", err, msg)
	}
	return out, nil
}

// startWebhook runs the real `webhook serve` with envtest's serving certificate and a
// kubeconfig that may only read ConfigMaps, and waits until it reports ready.
func (w *World) startWebhook(ctx context.Context, port int) error {
	kubeconfig, err := w.Cluster.WebhookKubeconfig(ctx, w.dir)
	if err != nil {
		return err
	}
	healthPort, err := harness.FreePort()
	if err != nil {
		return err
	}
	opts := w.Cluster.Env.WebhookInstallOptions
	w.Webhook = exec.Command(w.WebhookBin, "serve",
		"--listen-address=127.0.0.1", "--port="+strconv.Itoa(port),
		"--cert-dir="+opts.LocalServingCertDir, "--kubeconfig="+kubeconfig,
		"--health-address=127.0.0.1:"+strconv.Itoa(healthPort),
		"--agent-image=rasa-vault-webhook:e2e")
	w.Webhook.Stdout, w.Webhook.Stderr = w.WebhookLog, w.WebhookLog
	w.Webhook.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := w.Webhook.Start(); err != nil {
		return fmt.Errorf("starting webhook serve: %w", err)
	}
	readyz := fmt.Sprintf("http://127.0.0.1:%d/readyz", healthPort)
	hc := &http.Client{Timeout: time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{MinVersion: tls.VersionTLS12},
	}}
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := hc.Get(readyz)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("webhook serve not ready within 30s; its output:\n%s", w.WebhookLog)
}

// Stop ends every process the world started and removes its files.
func (w *World) Stop() {
	if w.Webhook != nil && w.Webhook.Process != nil {
		_ = w.Webhook.Process.Signal(syscall.SIGTERM)
		waited := make(chan error, 1)
		go func() { waited <- w.Webhook.Wait() }()
		select {
		case <-waited:
		case <-time.After(10 * time.Second):
			_ = w.Webhook.Process.Kill()
		}
	}
	if w.Postgres != nil {
		w.Postgres.Stop()
	}
	if w.Vault != nil {
		w.Vault.Stop()
	}
	if w.Cluster != nil {
		if err := w.Cluster.Stop(); err != nil && !errors.Is(err, context.Canceled) {
			fmt.Fprintf(os.Stderr, "stopping envtest: %v\n", err)
		}
	}
	if w.dir != "" {
		_ = os.RemoveAll(w.dir)
	}
}
