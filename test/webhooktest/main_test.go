// Package webhooktest runs the admission handler behind a real kube-apiserver (envtest)
// with a MutatingWebhookConfiguration like the chart's, and checks what API clients
// see: injected pods stored, denials and warnings delivered, dry runs without effect,
// and the Pod Security admission of a restricted namespace accepting injected pods.
package webhooktest

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-logr/logr"
	admissionv1 "k8s.io/api/admissionregistration/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/rasa-vault-webhook/rasa-vault-webhook/pkg/inject"
	"github.com/rasa-vault-webhook/rasa-vault-webhook/pkg/kube"
	"github.com/rasa-vault-webhook/rasa-vault-webhook/pkg/serving"
	"github.com/rasa-vault-webhook/rasa-vault-webhook/pkg/webhook"
	"github.com/rasa-vault-webhook/rasa-vault-webhook/test/harness"
)

// legacyPath serves the same handler in the mode for apiservers without native
// sidecars; namespaces labelled legacyLabel are sent there instead of webhook.Path.
const (
	legacyPath  = "/mutate-pod-legacy"
	legacyLabel = "rasa-vault-webhook.io/test-legacy-sidecar"
)

// cluster is shared by the package's tests; each works in its own namespace.
var cluster *harness.Cluster

// webhookAPI reads ConfigMaps as the webhook's own user, with the chart's rights.
var webhookAPI *kube.Client

// warnings collects the admission warnings the apiserver passes to clients.
var warnings = &warningLog{}

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()

	var err error
	cluster, err = harness.StartCluster(ctx, harness.ClusterOptions{
		MutatingWebhooks: []*admissionv1.MutatingWebhookConfiguration{webhookConfig()},
		// Pods reach the webhook as in a real cluster: with a serviceAccountName and
		// a kube-api-access-<random> volume, so no two replicas' bodies are the same.
		ServiceAccountAdmission: true,
	})
	if err != nil {
		fmt.Fprintf(os.Stderr, "webhooktest: %v\n", err)
		return 1
	}
	defer func() { _ = cluster.Stop() }()

	stop, err := serveWebhook(ctx)
	if err != nil {
		fmt.Fprintf(os.Stderr, "webhooktest: %v\n", err)
		return 1
	}
	defer stop()
	return m.Run()
}

// serveWebhook runs the handler in-process where envtest pointed the apiserver, reading
// ConfigMaps as a user that may only get them, as the chart's RBAC.
func serveWebhook(ctx context.Context) (func(), error) {
	dir, err := os.MkdirTemp("", "rvw-webhooktest-")
	if err != nil {
		return nil, fmt.Errorf("creating a temp dir: %w", err)
	}
	kubeconfig, err := cluster.WebhookKubeconfig(ctx, dir)
	if err != nil {
		return nil, err
	}
	if webhookAPI, err = kube.FromKubeconfig(kubeconfig); err != nil {
		return nil, fmt.Errorf("loading %s: %w", filepath.Base(kubeconfig), err)
	}

	install := cluster.Env.WebhookInstallOptions
	opts := inject.DefaultOptions()
	opts.Image = "rasa-vault-webhook:webhooktest"
	legacy := opts
	legacy.SidecarAsContainer = true
	mux := http.NewServeMux()
	mux.Handle(webhook.Path, &webhook.Handler{Reader: webhookAPI, Options: opts,
		Cache: webhook.NewConfigMapCache(), Patches: webhook.NewPatchCache(),
		Logger: logr.Discard()})
	mux.Handle(legacyPath, &webhook.Handler{Reader: webhookAPI, Options: legacy,
		Logger: logr.Discard()})
	srv := &serving.Server{Addr: net.JoinHostPort(install.LocalServingHost,
		strconv.Itoa(install.LocalServingPort)), CertDir: install.LocalServingCertDir,
		Handler: mux}

	srvCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Start(srvCtx)
	}()
	deadline := time.Now().Add(30 * time.Second)
	for srv.Ready() != nil {
		if time.Now().After(deadline) {
			cancel()
			return nil, fmt.Errorf("the webhook server did not start within 30s")
		}
		time.Sleep(50 * time.Millisecond)
	}
	return func() {
		cancel()
		<-done
		_ = os.RemoveAll(dir)
	}, nil
}

// webhookConfig mirrors the chart's configuration: pod CREATE only, opted-in pods
// only (matchConditions), never kube-system; a second entry sends namespaces labelled
// legacyLabel to the legacy path, which the first one then leaves alone.
func webhookConfig() *admissionv1.MutatingWebhookConfiguration {
	fail := admissionv1.Fail
	none := admissionv1.SideEffectClassNone
	ifNeeded := admissionv1.IfNeededReinvocationPolicy
	entry := func(name, path string, op metav1.LabelSelectorOperator) admissionv1.MutatingWebhook {
		return admissionv1.MutatingWebhook{
			Name: name,
			ClientConfig: admissionv1.WebhookClientConfig{Service: &admissionv1.ServiceReference{
				Name: "rasa-vault-webhook", Namespace: "rasa-vault-webhook",
				// envtest joins host and path with a "/" of its own.
				Path: ptr.To(strings.TrimPrefix(path, "/"))}},
			AdmissionReviewVersions: []string{"v1"},
			SideEffects:             &none,
			FailurePolicy:           &fail,
			TimeoutSeconds:          ptr.To[int32](5),
			ReinvocationPolicy:      &ifNeeded,
			Rules: []admissionv1.RuleWithOperations{{
				Operations: []admissionv1.OperationType{admissionv1.Create},
				Rule: admissionv1.Rule{APIGroups: []string{""}, APIVersions: []string{"v1"},
					Resources: []string{"pods"}},
			}},
			MatchConditions: []admissionv1.MatchCondition{{
				Name: "opted-in",
				Expression: "has(object.metadata.annotations) && " +
					"'" + inject.AnnotationInject + "' in object.metadata.annotations",
			}},
			NamespaceSelector: &metav1.LabelSelector{MatchExpressions: []metav1.
				LabelSelectorRequirement{
				{Key: "kubernetes.io/metadata.name", Operator: metav1.LabelSelectorOpNotIn,
					Values: []string{"kube-system"}},
				{Key: legacyLabel, Operator: op},
			}},
		}
	}
	return &admissionv1.MutatingWebhookConfiguration{
		ObjectMeta: metav1.ObjectMeta{Name: "rasa-vault-webhook"},
		Webhooks: []admissionv1.MutatingWebhook{
			entry("pods.rasa-vault-webhook.io", webhook.Path, metav1.LabelSelectorOpDoesNotExist),
			entry("legacy.pods.rasa-vault-webhook.io", legacyPath, metav1.LabelSelectorOpExists),
		},
	}
}

// warningLog records apiserver warnings by the text of each.
type warningLog struct {
	mu   sync.Mutex
	seen []string
}

// HandleWarningHeader implements rest.WarningHandler.
func (w *warningLog) HandleWarningHeader(_ int, _ string, text string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.seen = append(w.seen, text)
}

// since returns the warnings recorded after the first n.
func (w *warningLog) since(n int) []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]string(nil), w.seen[n:]...)
}

// count is how many warnings have been recorded.
func (w *warningLog) count() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.seen)
}

// adminClient is an admin client that records warnings into warnings.
func adminClient(t *testing.T) client.Client {
	t.Helper()
	cfg := rest.CopyConfig(cluster.Config)
	cfg.WarningHandler = warnings
	c, err := client.New(cfg, client.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return c
}
