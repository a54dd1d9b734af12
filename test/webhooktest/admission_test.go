package webhooktest

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/rasa-vault-webhook/rasa-vault-webhook/pkg/inject"
)

// endpointsYAML is a valid endpoints.yml with two Vault references.
const endpointsYAML = `secrets_manager:
  type: vault
  url: http://vault.vault.svc:8200
tracker_store:
  type: SQL
  username:
    source: secrets_manager.vault
    secret_key: sql_store_username
  password:
    source: secrets_manager.vault
    secret_key: sql_store_password
`

// namespace creates a namespace with labels, the bot's ConfigMap and the "default"
// ServiceAccount in it: no controller-manager runs to create that account, and the
// ServiceAccount admission plugin refuses pods whose account does not exist.
func namespace(
	ctx context.Context, t testing.TB, c client.Client, labels map[string]string,
) string {
	t.Helper()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "wt-", Labels: labels}}
	if err := c.Create(ctx, ns); err != nil {
		t.Fatal(err)
	}
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "bot-config", Namespace: ns.Name},
		Data: map[string]string{"endpoints": endpointsYAML, "credentials": "rest:\n"}}
	if err := c.Create(ctx, cm); err != nil {
		t.Fatal(err)
	}
	serviceAccount(ctx, t, c, ns.Name, "default")
	return ns.Name
}

// serviceAccount creates the ServiceAccount name in namespace ns.
func serviceAccount(ctx context.Context, t testing.TB, c client.Client, ns, name string) {
	t.Helper()
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns}}
	if err := c.Create(ctx, sa); err != nil {
		t.Fatal(err)
	}
}

// botPod is the Rasa chart's pod shape, compliant with the restricted standard itself.
func botPod(ns string, annotations map[string]string) *corev1.Pod {
	all := map[string]string{inject.AnnotationInject: "true"}
	for k, v := range annotations {
		all[k] = v
	}
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{GenerateName: "bot-", Namespace: ns, Annotations: all},
		Spec: corev1.PodSpec{
			SecurityContext: &corev1.PodSecurityContext{
				RunAsNonRoot: ptr.To(true), RunAsUser: ptr.To[int64](1001),
				FSGroup: ptr.To[int64](1001),
				SeccompProfile: &corev1.SeccompProfile{
					Type: corev1.SeccompProfileTypeRuntimeDefault},
			},
			Containers: []corev1.Container{{
				Name: "rasa", Image: "rasa/rasa-pro:3.11.2",
				Env: []corev1.EnvVar{{Name: "VAULT_TOKEN", ValueFrom: &corev1.EnvVarSource{
					SecretKeyRef: &corev1.SecretKeySelector{Key: "token",
						LocalObjectReference: corev1.LocalObjectReference{Name: "bot-vault"}}}}},
				VolumeMounts: []corev1.VolumeMount{{Name: "config",
					MountPath: "/app/endpoints.yml", SubPath: "endpoints.yml"}},
				SecurityContext: &corev1.SecurityContext{
					AllowPrivilegeEscalation: ptr.To(false),
					Capabilities: &corev1.Capabilities{
						Drop: []corev1.Capability{"ALL"}},
				},
			}},
			Volumes: []corev1.Volume{{Name: "config", VolumeSource: corev1.VolumeSource{
				ConfigMap: &corev1.ConfigMapVolumeSource{
					LocalObjectReference: corev1.LocalObjectReference{Name: "bot-config"},
					Items: []corev1.KeyToPath{
						{Key: "endpoints", Path: "endpoints.yml"}},
				}}}},
		},
	}
}

// initNames lists the names and restart policies of pod's init containers.
func initNames(pod *corev1.Pod) []string {
	var out []string
	for _, c := range pod.Spec.InitContainers {
		out = append(out, c.Name+"/"+string(ptr.Deref(c.RestartPolicy, "")))
	}
	return out
}

func TestRestrictedNamespaceAcceptsInjectedPods(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c := adminClient(t)
	ns := namespace(ctx, t, c, map[string]string{
		"pod-security.kubernetes.io/enforce": "restricted"})

	// A control: without its securityContext the same pod is refused, so the Pod
	// Security admission is really enforcing here.
	loose := botPod(ns, nil)
	loose.Spec.SecurityContext, loose.Spec.Containers[0].SecurityContext = nil, nil
	err := c.Create(ctx, loose)
	if err == nil || !strings.Contains(err.Error(), "restricted") {
		t.Fatalf("a non-compliant pod was not refused by Pod Security admission: %v", err)
	}

	for _, tt := range []struct {
		name        string
		annotations map[string]string
	}{
		{name: "token auth"},
		{name: "kubernetes auth with its projected token", annotations: map[string]string{
			inject.AnnotationAuthMethod: "kubernetes", inject.AnnotationAuthRole: "bot"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			pod := botPod(ns, tt.annotations)
			if _, ok := tt.annotations[inject.AnnotationAuthMethod]; ok {
				// The bot logs in to Vault as its own account, which the
				// ServiceAccount admission plugin requires to exist.
				serviceAccount(ctx, t, c, ns, "bot")
				pod.Spec.ServiceAccountName = "bot"
				pod.Spec.Containers[0].Env = nil
			}
			if err := c.Create(ctx, pod); err != nil {
				t.Fatalf("the injected pod was refused: %v", err)
			}
			want := []string{"rvw-init/", "rvw-agent/Always"}
			if got := initNames(pod); !slices.Equal(got, want) {
				t.Errorf("stored init containers %v, want %v", got, want)
			}
			if pod.Annotations[inject.AnnotationStatus] != inject.StatusInjected {
				t.Error("the stored pod lacks the status annotation")
			}
		})
	}
}

func TestJobPodGetsANativeSidecar(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c := adminClient(t)
	ns := namespace(ctx, t, c, nil)

	// envtest runs no Job controller: the test creates the Job and, as the controller
	// would, a pod from its template owned by it.
	template := botPod(ns, nil)
	job := &batchv1.Job{
		ObjectMeta: metav1.ObjectMeta{Name: "train-bot", Namespace: ns},
		Spec: batchv1.JobSpec{Template: corev1.PodTemplateSpec{
			ObjectMeta: metav1.ObjectMeta{Annotations: template.Annotations},
			Spec:       *template.Spec.DeepCopy(),
		}},
	}
	job.Spec.Template.Spec.RestartPolicy = corev1.RestartPolicyNever
	if err := c.Create(ctx, job); err != nil {
		t.Fatal(err)
	}

	pod := botPod(ns, nil)
	pod.GenerateName = job.Name + "-"
	pod.Spec.RestartPolicy = corev1.RestartPolicyNever
	pod.OwnerReferences = []metav1.OwnerReference{{APIVersion: "batch/v1", Kind: "Job",
		Name: job.Name, UID: job.UID, Controller: ptr.To(true)}}
	if err := c.Create(ctx, pod); err != nil {
		t.Fatalf("creating the Job's pod: %v", err)
	}
	if got, want := initNames(pod), []string{"rvw-init/", "rvw-agent/Always"}; !slices.Equal(
		got, want) {
		t.Errorf("init containers %v, want %v: the agent must be a native sidecar so "+
			"the Job can complete", got, want)
	}
	if len(pod.Spec.Containers) != 1 {
		t.Errorf("%d containers, want only the assistant", len(pod.Spec.Containers))
	}
}

func TestOldApiserverModeRunsARegularSidecarWithAWarning(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c := adminClient(t)
	ns := namespace(ctx, t, c, map[string]string{legacyLabel: "true"})

	before := warnings.count()
	pod := botPod(ns, nil)
	if err := c.Create(ctx, pod); err != nil {
		t.Fatal(err)
	}
	if got := initNames(pod); !slices.Equal(got, []string{"rvw-init/"}) {
		t.Errorf("init containers %v, want the init container only", got)
	}
	if n := len(pod.Spec.Containers); n != 2 || pod.Spec.Containers[1].Name != "rvw-agent" {
		t.Errorf("containers %d, want the assistant and rvw-agent", n)
	}
	got := strings.Join(warnings.since(before), "\n")
	if !strings.Contains(got, "no native sidecars") {
		t.Errorf("the client got no warning about the regular sidecar: %q", got)
	}
}
