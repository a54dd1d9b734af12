package chart

import (
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	admissionv1 "k8s.io/api/admissionregistration/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/rasa-vault-webhook/rasa-vault-webhook/pkg/inject"
	"github.com/rasa-vault-webhook/rasa-vault-webhook/test/harness"
)

// installCluster starts a real apiserver and writes an admin kubeconfig for helm.
func installCluster(t *testing.T, ctx context.Context) (*harness.Cluster, string) {
	t.Helper()
	c, err := harness.StartCluster(ctx, harness.ClusterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Stop() })
	admin, err := c.Env.AddUser(envtest.User{Name: "chart-admin",
		Groups: []string{"system:masters"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	data, err := admin.KubeConfig()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "admin.kubeconfig")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return c, path
}

func createNamespace(t *testing.T, ctx context.Context, c client.Client, name string,
	restricted bool) {
	t.Helper()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}
	if restricted {
		ns.Labels = map[string]string{
			"pod-security.kubernetes.io/enforce": "restricted",
		}
	}
	if err := c.Create(ctx, ns); err != nil {
		t.Fatal(err)
	}
}

func dryRunPod(ctx context.Context, c client.Client, ns, name string, spec corev1.PodSpec,
	annotations map[string]string) error {
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Annotations: annotations},
		Spec:       *spec.DeepCopy(),
	}
	return c.Create(ctx, pod, client.DryRunAll)
}

// The self-signed install on a real apiserver: every object is accepted, the webhook's
// own pod passes the restricted Pod Security Standard, the caBundle vouches for the
// Secret, an upgrade keeps the certificate, and only opted-in pods reach the webhook.
func TestSelfSignedInstallOnARealAPIServer(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	h := newHelm(t)
	c, kubeconfig := installCluster(t, ctx)
	createNamespace(t, ctx, c.Client, releaseNamespace, true)
	createNamespace(t, ctx, c.Client, "assistants", false)

	install := []string{"install", "rvw", h.chart, "--namespace", releaseNamespace,
		"--kubeconfig", kubeconfig, "--timeout", "2m"}
	if out, err := h.run(ctx, install...); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}

	var deploy appsv1.Deployment
	key := client.ObjectKey{Namespace: releaseNamespace, Name: "rvw-rasa-vault-webhook"}
	if err := c.Client.Get(ctx, key, &deploy); err != nil {
		t.Fatalf("reading the installed Deployment: %v", err)
	}
	podSpec := deploy.Spec.Template.Spec
	if err := dryRunPod(ctx, c.Client, releaseNamespace, "webhook", podSpec, nil); err != nil {
		t.Errorf("the webhook's own pod is rejected in a restricted namespace: %v", err)
	}

	secret, bundle := installedCertificate(t, ctx, c.Client)
	host := "rvw-rasa-vault-webhook." + releaseNamespace + ".svc"
	verifyServing(t, bundle, secret.Data["tls.crt"], host)

	upgrade := []string{"upgrade", "rvw", h.chart, "--namespace", releaseNamespace,
		"--kubeconfig", kubeconfig, "--timeout", "2m", "--set", "logLevel=debug"}
	if out, err := h.run(ctx, upgrade...); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	after, afterBundle := installedCertificate(t, ctx, c.Client)
	if string(after.Data["tls.crt"]) != string(secret.Data["tls.crt"]) ||
		string(afterBundle) != string(bundle) {
		t.Error("helm upgrade rotated the self-signed certificate; it must reuse the Secret")
	}

	// No replica runs in envtest, and the Service's ClusterIP routes nowhere we own, so
	// point the installed webhook at a local listener that counts connections and closes
	// them: a pod that reaches the webhook is refused (failurePolicy Fail) and counted.
	calls := countingListener(t)
	var cfg admissionv1.MutatingWebhookConfiguration
	cfgKey := client.ObjectKey{Name: "rvw-rasa-vault-webhook"}
	if err := c.Client.Get(ctx, cfgKey, &cfg); err != nil {
		t.Fatal(err)
	}
	url := "https://" + calls.addr + "/mutate-pod"
	cfg.Webhooks[0].ClientConfig = admissionv1.WebhookClientConfig{URL: &url,
		CABundle: cfg.Webhooks[0].ClientConfig.CABundle}
	if err := c.Client.Update(ctx, &cfg); err != nil {
		t.Fatalf("pointing the webhook at the local listener: %v", err)
	}

	tests := []struct {
		name        string
		namespace   string
		annotations map[string]string
		reaches     bool
	}{
		{"a pod without the annotation never reaches the webhook", "assistants", nil, false},
		{"a pod that opts out never reaches the webhook", "assistants",
			map[string]string{inject.AnnotationInject: "false"}, false},
		{"an opted-in pod reaches the webhook", "assistants",
			map[string]string{inject.AnnotationInject: "true"}, true},
		{"a misspelt opt-in still reaches the webhook, to be denied", "assistants",
			map[string]string{inject.AnnotationInject: "yes"}, true},
		{"an opted-in pod in the webhook's own namespace is never sent", releaseNamespace,
			map[string]string{inject.AnnotationInject: "true"}, false},
		{"an opted-in pod in kube-system is never sent", "kube-system",
			map[string]string{inject.AnnotationInject: "true"}, false},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := calls.count.Load()
			err := dryRunPod(ctx, c.Client, tt.namespace, "probe-"+string(rune('a'+i)),
				podSpec, tt.annotations)
			reached := calls.count.Load() > before
			if reached != tt.reaches {
				t.Errorf("reached the webhook: %v, want %v (err %v)", reached, tt.reaches, err)
			}
			if !tt.reaches && err != nil {
				t.Errorf("pod rejected: %v", err)
			}
			if tt.reaches && (err == nil || !strings.Contains(err.Error(), webhookName)) {
				t.Errorf("an unanswered review admitted the pod (err %v); want failurePolicy Fail",
					err)
			}
		})
	}
}

// webhookName is the name of the chart's one webhook, as the apiserver reports it.
const webhookName = "pods.rasa-vault-webhook.io"

// connCounter is a TCP listener on 127.0.0.1 that counts and closes every connection.
type connCounter struct {
	addr  string
	count atomic.Int64
}

func countingListener(t *testing.T) *connCounter {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	c := &connCounter{addr: ln.Addr().String()}
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			c.count.Add(1)
			_ = conn.Close()
		}
	}()
	return c
}

// installedCertificate reads the self-signed mode's Secret and the webhook's caBundle
// back from the apiserver.
func installedCertificate(t *testing.T, ctx context.Context, c client.Client) (
	*corev1.Secret, []byte) {
	t.Helper()
	var secret corev1.Secret
	key := client.ObjectKey{Namespace: releaseNamespace, Name: "rvw-rasa-vault-webhook-tls"}
	if err := c.Get(ctx, key, &secret); err != nil {
		t.Fatalf("reading the TLS Secret: %v", err)
	}
	var cfg admissionv1.MutatingWebhookConfiguration
	if err := c.Get(ctx, client.ObjectKey{Name: "rvw-rasa-vault-webhook"}, &cfg); err != nil {
		t.Fatalf("reading the MutatingWebhookConfiguration: %v", err)
	}
	return &secret, cfg.Webhooks[0].ClientConfig.CABundle
}

// The existing-Secret mode with a certificate from `webhook certs`: the documented
// path for users who bring their own certificate.
func TestExistingSecretInstallWithWebhookCerts(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	h := newHelm(t)
	c, kubeconfig := installCluster(t, ctx)
	createNamespace(t, ctx, c.Client, releaseNamespace, true)

	dir := t.TempDir()
	bin, err := harness.BuildWebhook(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	certs := filepath.Join(dir, "certs")
	cmd := exec.CommandContext(ctx, bin, "certs", "--service", "byo-rasa-vault-webhook",
		"--namespace", releaseNamespace, "--out", certs)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("webhook certs: %v\n%s", err, out)
	}
	read := func(name string) []byte {
		data, err := os.ReadFile(filepath.Join(certs, name))
		if err != nil {
			t.Fatal(err)
		}
		return data
	}
	secret := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "byo-tls", Namespace: releaseNamespace},
		Type:       corev1.SecretTypeTLS,
		Data:       map[string][]byte{"tls.crt": read("tls.crt"), "tls.key": read("tls.key")},
	}
	if err := c.Client.Create(ctx, secret); err != nil {
		t.Fatal(err)
	}

	install := []string{"install", "byo", h.chart, "--namespace", releaseNamespace,
		"--kubeconfig", kubeconfig, "--set", "tls.mode=existingSecret",
		"--set", "tls.existingSecret.name=byo-tls",
		"--set-file", "tls.existingSecret.caBundle=" + filepath.Join(certs, "ca.crt")}
	if out, err := h.run(ctx, install...); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}

	var cfg admissionv1.MutatingWebhookConfiguration
	cfgKey := client.ObjectKey{Name: "byo-rasa-vault-webhook"}
	if err := c.Client.Get(ctx, cfgKey, &cfg); err != nil {
		t.Fatal(err)
	}
	verifyServing(t, cfg.Webhooks[0].ClientConfig.CABundle, read("tls.crt"),
		"byo-rasa-vault-webhook."+releaseNamespace+".svc")

	var deploy appsv1.Deployment
	key := client.ObjectKey{Namespace: releaseNamespace, Name: "byo-rasa-vault-webhook"}
	if err := c.Client.Get(ctx, key, &deploy); err != nil {
		t.Fatal(err)
	}
	for _, v := range deploy.Spec.Template.Spec.Volumes {
		if v.Secret != nil && v.Secret.SecretName != "byo-tls" {
			t.Errorf("pods mount Secret %s, want byo-tls", v.Secret.SecretName)
		}
	}
	var list corev1.SecretList
	if err := c.Client.List(ctx, &list, client.InNamespace(releaseNamespace)); err != nil {
		t.Fatal(err)
	}
	for _, s := range list.Items {
		if s.Type == corev1.SecretTypeTLS && s.Name != "byo-tls" {
			t.Errorf("existing-Secret mode created TLS Secret %s", s.Name)
		}
	}
}
