package chart

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	admissionv1 "k8s.io/api/admissionregistration/v1"
	appsv1 "k8s.io/api/apps/v1"

	"github.com/rasa-vault-webhook/rasa-vault-webhook/test/harness"
)

// selfSignedDER makes a throwaway CA certificate, so no PEM fixture is committed.
func selfSignedDER(t *testing.T) []byte {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "chart test CA"},
		NotBefore: time.Now().Add(-time.Minute), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

func TestSchemaRejectsValuesThatWouldBreakTheInstall(t *testing.T) {
	h := newHelm(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	tests := []struct {
		name string
		set  []string
		want string
	}{
		{"a timeout over five seconds", []string{"webhook.timeoutSeconds=10"}, "timeoutSeconds"},
		{"an unknown failure policy", []string{"webhook.failurePolicy=Sometimes"}, "failurePolicy"},
		{"an unknown certificate mode", []string{"tls.mode=none"}, "mode"},
		{"an existing Secret without its CA",
			[]string{"tls.mode=existingSecret", "tls.existingSecret.name=x"}, "caBundle"},
		{"a misspelt value", []string{"replicas=3"}, "replicas"},
		{"zero replicas", []string{"replicaCount=0"}, "replicaCount"},
		{"an unknown sidecar mode", []string{"webhook.nativeSidecars=maybe"}, "nativeSidecars"},
		{"an image tag with a space", []string{"image.tag=bad tag!"}, "/image/tag"},
		{"an upper-case repository", []string{"agent.image.repository=UPPER/Repo"},
			"/agent/image/repository"},
		{"a name override that is no DNS label", []string{"nameOverride=Rasa_Hook"},
			"/nameOverride"},
		{"a service account name that is no DNS name",
			[]string{"serviceAccount.name=Hook Account"}, "/serviceAccount/name"},
		{"a negative maxUnavailable", []string{"podDisruptionBudget.maxUnavailable=-1"},
			"/podDisruptionBudget/maxUnavailable"},
		{"a maxUnavailable that is no count or percentage",
			[]string{"podDisruptionBudget.maxUnavailable=half"},
			"/podDisruptionBudget/maxUnavailable"},
		{"a priority class name with a space", []string{"priorityClassName=high prio"},
			"/priorityClassName"},
		{"an env entry without a name", []string{"extraEnv[0].value=x"}, "/extraEnv/0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := h.template(ctx, tt.set...)
			if err == nil {
				t.Fatalf("helm template with %v succeeded", tt.set)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error does not mention %q: %v", tt.want, err)
			}
		})
	}
	// The same fields with good values still render.
	for _, set := range [][]string{{"podDisruptionBudget.maxUnavailable=0"},
		{"podDisruptionBudget.maxUnavailable=50%"}, {"nameOverride=rasa-hook"},
		{"serviceAccount.name=hook.account"}, {"priorityClassName=system-cluster-critical"}} {
		if _, err := h.template(ctx, set...); err != nil {
			t.Errorf("helm template with %v: %v", set, err)
		}
	}
}

func TestValuesReachTheObjects(t *testing.T) {
	h := newHelm(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	r, err := h.template(ctx,
		"webhook.failurePolicy=Ignore",
		"webhook.timeoutSeconds=3",
		"webhook.excludedNamespaces={legacy}",
		"webhook.objectSelector.matchLabels.rasa-vault-webhook\\.io/enabled=assistant",
		"agent.image.repository=registry.example/agent",
		"agent.image.tag=1.2.3",
		"podAntiAffinity=hard",
		"replicaCount=3",
		"podDisruptionBudget.enabled=false",
		"webhook.nativeSidecars=false",
		"webhook.configMapCache=false",
		"webhook.patchCache=false",
		"extraEnv[0].name=GOMEMLIMIT", "extraEnv[0].value=100MiB",
	)
	if err != nil {
		t.Fatal(err)
	}
	wh := decode[admissionv1.MutatingWebhookConfiguration](t, r,
		"MutatingWebhookConfiguration").Webhooks[0]
	if *wh.FailurePolicy != admissionv1.Ignore || *wh.TimeoutSeconds != 3 {
		t.Errorf("failurePolicy %s timeout %d, want Ignore 3", *wh.FailurePolicy,
			*wh.TimeoutSeconds)
	}
	if !slices.Contains(wh.NamespaceSelector.MatchExpressions[0].Values, "legacy") {
		t.Error("excludedNamespaces did not reach the namespaceSelector")
	}
	if wh.ObjectSelector == nil ||
		wh.ObjectSelector.MatchLabels["rasa-vault-webhook.io/enabled"] != "assistant" {
		t.Errorf("objectSelector %+v, want the enabled label", wh.ObjectSelector)
	}

	d := decode[appsv1.Deployment](t, r, "Deployment")
	c := d.Spec.Template.Spec.Containers[0]
	if got := flagValue(c.Args, "--agent-image"); got != "registry.example/agent:1.2.3" {
		t.Errorf("--agent-image %q, want registry.example/agent:1.2.3", got)
	}
	for flag, want := range map[string]string{
		"--native-sidecars": "false", "--configmap-cache": "false", "--patch-cache": "false",
	} {
		if got := flagValue(c.Args, flag); got != want {
			t.Errorf("%s=%q, want %q", flag, got, want)
		}
	}
	if *d.Spec.Replicas != 3 {
		t.Errorf("replicas %d, want 3", *d.Spec.Replicas)
	}
	if env := c.Env; len(env) != 2 || env[0].Name != "POD_NAMESPACE" ||
		env[1].Name != "GOMEMLIMIT" || env[1].Value != "100MiB" {
		t.Errorf("env %+v, want POD_NAMESPACE then GOMEMLIMIT=100MiB", env)
	}
	if len(d.Spec.Template.Spec.Affinity.PodAntiAffinity.
		RequiredDuringSchedulingIgnoredDuringExecution) != 1 {
		t.Error("hard anti-affinity is not required")
	}
	// With one node per replica a surge pod fits nowhere: replace one at a time.
	if ru := d.Spec.Strategy.RollingUpdate; ru == nil || ru.MaxSurge == nil ||
		ru.MaxSurge.IntValue() != 0 || ru.MaxUnavailable == nil ||
		ru.MaxUnavailable.IntValue() != 1 {
		t.Errorf("hard anti-affinity strategy %+v, want maxSurge 0, maxUnavailable 1",
			d.Spec.Strategy)
	}
	if r.kinds()["PodDisruptionBudget"] != 0 {
		t.Error("a disabled PodDisruptionBudget was rendered")
	}
}

// The chart passes flags to `webhook serve`; each must be one the binary knows, or the
// pods crash-loop on an unknown flag.
func TestChartPassesOnlyFlagsTheBinaryKnows(t *testing.T) {
	h := newHelm(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	r, err := h.template(ctx)
	if err != nil {
		t.Fatal(err)
	}
	args := decode[appsv1.Deployment](t, r, "Deployment").Spec.Template.Spec.Containers[0].Args

	bin, err := harness.BuildWebhook(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	out, _ := exec.CommandContext(ctx, bin, "serve", "-h").CombinedOutput()
	known := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^\s+-([a-z-]+)`).FindAllStringSubmatch(
		string(out), -1) {
		known[m[1]] = true
	}
	if len(known) == 0 {
		t.Fatalf("webhook serve -h listed no flags:\n%s", out)
	}
	for _, a := range args[1:] {
		name, _, _ := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if !known[name] {
			t.Errorf("chart passes --%s, which %s serve does not know", name,
				filepath.Base(bin))
		}
	}
}

// Setting only the agent's tag (or digest) keeps the webhook's repository.
func TestAgentImageFallsBackToTheWebhookRepository(t *testing.T) {
	h := newHelm(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	r, err := h.template(ctx, "image.repository=registry.example/rvw", "image.tag=1.0.0",
		"agent.image.tag=1.1.0")
	if err != nil {
		t.Fatal(err)
	}
	c := decode[appsv1.Deployment](t, r, "Deployment").Spec.Template.Spec.Containers[0]
	if got := flagValue(c.Args, "--agent-image"); got != "registry.example/rvw:1.1.0" {
		t.Errorf("--agent-image %q, want registry.example/rvw:1.1.0", got)
	}
}
