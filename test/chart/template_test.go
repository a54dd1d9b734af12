package chart

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	admissionv1 "k8s.io/api/admissionregistration/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/rasa-vault-webhook/rasa-vault-webhook/pkg/inject"
	"github.com/rasa-vault-webhook/rasa-vault-webhook/pkg/webhook"
)

// testCAPEM is a throwaway CA certificate for the existing-Secret mode; only its PEM
// shape matters to the chart.
func testCAPEM(t *testing.T) string {
	t.Helper()
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: selfSignedDER(t)}))
}

func TestChartLintsClean(t *testing.T) {
	h := newHelm(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	for _, set := range [][]string{
		nil,
		{"tls.mode=certManager"},
		{"tls.mode=existingSecret", "tls.existingSecret.name=rvw-tls"},
	} {
		args := []string{"lint", "--strict", h.chart}
		for _, s := range set {
			args = append(args, "--set", s)
		}
		if strings.Contains(strings.Join(set, ","), "existingSecret") {
			args = append(args, "--set-string", "tls.existingSecret.caBundle="+testCAPEM(t))
		}
		out, err := h.run(ctx, args...)
		if err != nil {
			t.Fatalf("helm lint with %v: %v\n%s", set, err, out)
		}
		if strings.Contains(out, "[WARNING]") || strings.Contains(out, "[ERROR]") {
			t.Errorf("helm lint with %v is not clean:\n%s", set, out)
		}
	}
}

// Every certificate mode renders the same product; the modes differ only in where the
// serving certificate and the caBundle come from.
func TestEveryCertificateModeRendersACompleteInstall(t *testing.T) {
	h := newHelm(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	ca := testCAPEM(t)
	tests := []struct {
		name      string
		set       []string
		wantKinds map[string]int
	}{
		{"the default self-signed mode makes its own Secret", nil,
			map[string]int{"Secret": 1}},
		{"the cert-manager mode makes a CA chain and a Certificate",
			[]string{"tls.mode=certManager"},
			map[string]int{"Issuer": 2, "Certificate": 2}},
		{"the cert-manager mode with an issuer makes only the Certificate",
			[]string{"tls.mode=certManager", "tls.certManager.issuerRef.kind=ClusterIssuer",
				"tls.certManager.issuerRef.name=corp-ca"},
			map[string]int{"Certificate": 1}},
		{"the existing-Secret mode makes no Secret",
			[]string{"tls.mode=existingSecret", "tls.existingSecret.name=byo-tls",
				"tls.existingSecret.caBundle=" + strings.ReplaceAll(ca, ",", `\,`)},
			map[string]int{}},
	}
	common := map[string]int{
		"ServiceAccount": 1, "ClusterRole": 1, "ClusterRoleBinding": 1, "Service": 1,
		"Deployment": 1, "PodDisruptionBudget": 1, "MutatingWebhookConfiguration": 1,
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := h.template(ctx, tt.set...)
			if err != nil {
				t.Fatal(err)
			}
			want := map[string]int{}
			for k, v := range common {
				want[k] = v
			}
			for k, v := range tt.wantKinds {
				want[k] = v
			}
			got := r.kinds()
			for kind, n := range want {
				if got[kind] != n {
					t.Errorf("rendered %d %s, want %d", got[kind], kind, n)
				}
			}
			for kind := range got {
				if _, ok := want[kind]; !ok {
					t.Errorf("rendered an unexpected %s", kind)
				}
			}
			checkLabels(t, r)
			checkRBAC(t, r)
			checkWebhookConfig(t, r)
			checkDeployment(t, r)
		})
	}
}

func checkLabels(t *testing.T, r *rendered) {
	t.Helper()
	want := []string{"app.kubernetes.io/name", "app.kubernetes.io/instance",
		"app.kubernetes.io/version", "app.kubernetes.io/component",
		"app.kubernetes.io/part-of", "app.kubernetes.io/managed-by", "helm.sh/chart"}
	for _, o := range r.objects {
		for _, key := range want {
			if o.GetLabels()[key] == "" {
				t.Errorf("%s/%s lacks label %s", o.GetKind(), o.GetName(), key)
			}
		}
		clusterScoped := strings.HasPrefix(o.GetKind(), "Cluster") ||
			o.GetKind() == "MutatingWebhookConfiguration"
		if !clusterScoped && o.GetNamespace() != releaseNamespace {
			t.Errorf("%s/%s is in namespace %q, want %q", o.GetKind(), o.GetName(),
				o.GetNamespace(), releaseNamespace)
		}
	}
}

// The webhook reads one ConfigMap per review; RBAC grants exactly that and nothing more.
func checkRBAC(t *testing.T, r *rendered) {
	t.Helper()
	role := decode[rbacv1.ClusterRole](t, r, "ClusterRole")
	want := []rbacv1.PolicyRule{{
		APIGroups: []string{""}, Resources: []string{"configmaps"},
		Verbs: []string{"get"},
	}}
	if len(role.Rules) != 1 || !slices.Equal(role.Rules[0].APIGroups, want[0].APIGroups) ||
		!slices.Equal(role.Rules[0].Resources, want[0].Resources) ||
		!slices.Equal(role.Rules[0].Verbs, want[0].Verbs) ||
		len(role.Rules[0].ResourceNames) > 0 || len(role.Rules[0].NonResourceURLs) > 0 {
		t.Errorf("ClusterRole rules %+v, want exactly %+v", role.Rules, want)
	}
	if role.AggregationRule != nil {
		t.Error("ClusterRole aggregates other roles")
	}

	binding := decode[rbacv1.ClusterRoleBinding](t, r, "ClusterRoleBinding")
	sa := r.only(t, "ServiceAccount")
	if binding.RoleRef.Name != role.Name || binding.RoleRef.Kind != "ClusterRole" {
		t.Errorf("binding refers to %+v, want ClusterRole %s", binding.RoleRef, role.Name)
	}
	if len(binding.Subjects) != 1 || binding.Subjects[0].Kind != "ServiceAccount" ||
		binding.Subjects[0].Name != sa.GetName() ||
		binding.Subjects[0].Namespace != releaseNamespace {
		t.Errorf("binding subjects %+v, want only ServiceAccount %s/%s", binding.Subjects,
			releaseNamespace, sa.GetName())
	}
	for _, kind := range []string{"Role", "RoleBinding"} {
		if r.kinds()[kind] > 0 {
			t.Errorf("chart renders a %s; the webhook needs no other rights", kind)
		}
	}
}

func checkWebhookConfig(t *testing.T, r *rendered) {
	t.Helper()
	cfg := decode[admissionv1.MutatingWebhookConfiguration](t, r, "MutatingWebhookConfiguration")
	svc := decode[corev1.Service](t, r, "Service")
	if len(cfg.Webhooks) != 1 {
		t.Fatalf("%d webhooks, want 1", len(cfg.Webhooks))
	}
	wh := cfg.Webhooks[0]

	if len(wh.Rules) != 1 || !slices.Equal(wh.Rules[0].Operations,
		[]admissionv1.OperationType{admissionv1.Create}) ||
		!slices.Equal(wh.Rules[0].Resources, []string{"pods"}) ||
		!slices.Equal(wh.Rules[0].APIGroups, []string{""}) {
		t.Errorf("rules %+v, want CREATE of core pods only", wh.Rules)
	}
	if wh.SideEffects == nil || *wh.SideEffects != admissionv1.SideEffectClassNone {
		t.Errorf("sideEffects %v, want None", wh.SideEffects)
	}
	if wh.TimeoutSeconds == nil || *wh.TimeoutSeconds > 5 || *wh.TimeoutSeconds < 1 {
		t.Errorf("timeoutSeconds %v, want 1-5", wh.TimeoutSeconds)
	}
	ifNeeded := admissionv1.IfNeededReinvocationPolicy
	if wh.ReinvocationPolicy == nil || *wh.ReinvocationPolicy != ifNeeded {
		t.Errorf("reinvocationPolicy %v, want IfNeeded", wh.ReinvocationPolicy)
	}
	if wh.FailurePolicy == nil || *wh.FailurePolicy != admissionv1.Fail {
		t.Errorf("failurePolicy %v, want the default Fail", wh.FailurePolicy)
	}
	if len(wh.MatchConditions) != 1 ||
		!strings.Contains(wh.MatchConditions[0].Expression, inject.AnnotationInject) {
		t.Errorf("matchConditions %+v do not test the %s annotation", wh.MatchConditions,
			inject.AnnotationInject)
	}

	ref := wh.ClientConfig.Service
	if ref == nil || ref.Name != svc.Name || ref.Namespace != releaseNamespace {
		t.Fatalf("clientConfig.service %+v does not name Service %s/%s", ref,
			releaseNamespace, svc.Name)
	}
	if ref.Path == nil || *ref.Path != webhook.Path {
		t.Errorf("clientConfig.service.path %v, want %s (pkg/webhook.Path)", ref.Path,
			webhook.Path)
	}
	if ref.Port == nil || !slices.ContainsFunc(svc.Spec.Ports, func(p corev1.ServicePort) bool {
		return p.Port == *ref.Port && p.TargetPort.StrVal == "webhook"
	}) {
		t.Errorf("clientConfig.service.port %v is not the Service port for the webhook", ref.Port)
	}

	sel := wh.NamespaceSelector
	if sel == nil || len(sel.MatchExpressions) != 1 ||
		sel.MatchExpressions[0].Key != "kubernetes.io/metadata.name" ||
		sel.MatchExpressions[0].Operator != "NotIn" {
		t.Fatalf("namespaceSelector %+v, want NotIn on kubernetes.io/metadata.name", sel)
	}
	for _, ns := range []string{releaseNamespace, "kube-system", "kube-public",
		"kube-node-lease"} {
		if !slices.Contains(sel.MatchExpressions[0].Values, ns) {
			t.Errorf("namespaceSelector does not exclude %s", ns)
		}
	}
	if wh.ObjectSelector != nil && (len(wh.ObjectSelector.MatchLabels) > 0 ||
		len(wh.ObjectSelector.MatchExpressions) > 0) {
		t.Errorf("objectSelector %+v set by default", wh.ObjectSelector)
	}
}

func checkDeployment(t *testing.T, r *rendered) {
	t.Helper()
	d := decode[appsv1.Deployment](t, r, "Deployment")
	svc := decode[corev1.Service](t, r, "Service")
	pdb := decode[policyv1.PodDisruptionBudget](t, r, "PodDisruptionBudget")
	pod := d.Spec.Template

	if d.Spec.Replicas == nil || *d.Spec.Replicas != 2 {
		t.Errorf("replicas %v, want 2", d.Spec.Replicas)
	}
	podLabels := labels.Set(pod.Labels)
	if !labels.SelectorFromSet(svc.Spec.Selector).Matches(podLabels) {
		t.Errorf("Service selector %v does not select the pods %v", svc.Spec.Selector, pod.Labels)
	}
	if pdb.Spec.Selector == nil ||
		!labels.SelectorFromSet(pdb.Spec.Selector.MatchLabels).Matches(podLabels) {
		t.Errorf("PodDisruptionBudget selector %v does not select the pods", pdb.Spec.Selector)
	}
	anti := pod.Spec.Affinity
	if anti == nil || anti.PodAntiAffinity == nil ||
		len(anti.PodAntiAffinity.PreferredDuringSchedulingIgnoredDuringExecution) == 0 {
		t.Error("pods have no anti-affinity spreading replicas over nodes")
	}

	if len(pod.Spec.Containers) != 1 {
		t.Fatalf("%d containers, want 1", len(pod.Spec.Containers))
	}
	c := pod.Spec.Containers[0]
	if len(c.Args) == 0 || c.Args[0] != "serve" {
		t.Errorf("args %q do not start with serve", c.Args)
	}
	if agent := flagValue(c.Args, "--agent-image"); agent != c.Image {
		t.Errorf("agent image %q, want the webhook's own image %q by default", agent, c.Image)
	}
	health := flagValue(c.Args, "--health-address")
	checkProbe(t, "readiness", c.ReadinessProbe, "/readyz", c, health)
	checkProbe(t, "liveness", c.LivenessProbe, "/healthz", c, health)

	certDir := flagValue(c.Args, "--cert-dir")
	if !slices.ContainsFunc(c.VolumeMounts, func(m corev1.VolumeMount) bool {
		return m.MountPath == certDir && m.ReadOnly
	}) {
		t.Errorf("--cert-dir %q is not a read-only mount", certDir)
	}
	if !slices.ContainsFunc(c.Env, func(e corev1.EnvVar) bool {
		return e.Name == "POD_NAMESPACE" && e.ValueFrom != nil && e.ValueFrom.FieldRef != nil &&
			e.ValueFrom.FieldRef.FieldPath == "metadata.namespace"
	}) {
		t.Error("POD_NAMESPACE is not set from the downward API")
	}

	psc, sc := pod.Spec.SecurityContext, c.SecurityContext
	switch {
	case psc == nil || psc.RunAsNonRoot == nil || !*psc.RunAsNonRoot:
		t.Error("pod does not require a non-root user")
	case psc.SeccompProfile == nil ||
		psc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault:
		t.Error("pod has no RuntimeDefault seccomp profile")
	case sc == nil || sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation:
		t.Error("container allows privilege escalation")
	case sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem:
		t.Error("container root filesystem is writable")
	case sc.Capabilities == nil || !slices.Equal(sc.Capabilities.Drop, []corev1.Capability{"ALL"}):
		t.Error("container does not drop ALL capabilities")
	}

	secretName := ""
	for _, v := range pod.Spec.Volumes {
		if v.Secret != nil {
			secretName = v.Secret.SecretName
		}
	}
	if secretName == "" {
		t.Error("the serving certificate is not mounted from a Secret")
	}
	checkCertificateSource(t, r, secretName)
}

func checkProbe(t *testing.T, name string, p *corev1.Probe, path string, c corev1.Container,
	healthAddress string) {
	t.Helper()
	if p == nil || p.HTTPGet == nil || p.HTTPGet.Path != path {
		t.Errorf("%s probe %+v, want HTTP GET %s", name, p, path)
		return
	}
	port := -1
	for _, cp := range c.Ports {
		if cp.Name == p.HTTPGet.Port.StrVal {
			port = int(cp.ContainerPort)
		}
	}
	if !strings.HasSuffix(healthAddress, ":"+strconv.Itoa(port)) {
		t.Errorf("%s probe port %v (%d) is not --health-address %q", name, p.HTTPGet.Port,
			port, healthAddress)
	}
}

// checkCertificateSource checks that the Secret the pods mount is the one the caBundle
// (or cert-manager's CA injection) vouches for.
func checkCertificateSource(t *testing.T, r *rendered, secretName string) {
	t.Helper()
	cfg := decode[admissionv1.MutatingWebhookConfiguration](t, r, "MutatingWebhookConfiguration")
	caBundle := cfg.Webhooks[0].ClientConfig.CABundle
	svc := r.only(t, "Service").GetName()
	host := svc + "." + releaseNamespace + ".svc"

	switch {
	case r.kinds()["Secret"] == 1:
		secret := decode[corev1.Secret](t, r, "Secret")
		if secret.Name != secretName {
			t.Errorf("pods mount Secret %s, chart renders %s", secretName, secret.Name)
		}
		verifyServing(t, caBundle, secret.Data["tls.crt"], host)
		if string(secret.Data["ca.crt"]) != string(caBundle) {
			t.Error("the Secret's ca.crt is not the webhook's caBundle")
		}
	case r.kinds()["Certificate"] > 0:
		if len(caBundle) > 0 {
			t.Error("cert-manager mode sets a caBundle that cainjector would fight over")
		}
		inject := cfg.Annotations["cert-manager.io/inject-ca-from"]
		var serving map[string]any
		for _, o := range r.objects {
			if o.GetKind() == "Certificate" && releaseNamespace+"/"+o.GetName() == inject {
				serving = o.Object
			}
		}
		if serving == nil {
			t.Fatalf("inject-ca-from %q names no rendered Certificate", inject)
		}
		spec := serving["spec"].(map[string]any)
		if spec["secretName"] != secretName {
			t.Errorf("Certificate writes %v, pods mount %s", spec["secretName"], secretName)
		}
		dns, _ := spec["dnsNames"].([]any)
		if !slices.Contains(dns, any(host)) {
			t.Errorf("Certificate dnsNames %v lack %s", dns, host)
		}
	default:
		if secretName != "byo-tls" {
			t.Errorf("pods mount Secret %q, want the existing Secret byo-tls", secretName)
		}
		block, _ := pem.Decode(caBundle)
		if block == nil || block.Type != "CERTIFICATE" {
			t.Error("existing-Secret mode caBundle is not the given PEM certificate")
		}
	}
}

func verifyServing(t *testing.T, caPEM, certPEM []byte, host string) {
	t.Helper()
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(caPEM) {
		t.Fatal("caBundle holds no PEM certificate")
	}
	block, _ := pem.Decode(certPEM)
	if block == nil {
		t.Fatal("tls.crt holds no PEM certificate")
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cert.Verify(x509.VerifyOptions{DNSName: host, Roots: roots,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}); err != nil {
		t.Errorf("serving certificate does not verify for %s against the caBundle: %v", host, err)
	}
}

func flagValue(args []string, name string) string {
	for _, a := range args {
		if v, ok := strings.CutPrefix(a, name+"="); ok {
			return v
		}
	}
	return ""
}
