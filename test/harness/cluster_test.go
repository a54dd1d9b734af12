package harness

import (
	"context"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

// The end-to-end tests rely on the apiserver enforcing the restricted Pod Security
// Standard; this proves the harness's apiserver really does.
func TestClusterEnforcesTheRestrictedPodSecurityStandard(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	c, err := StartCluster(ctx, ClusterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Stop() })

	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{
		Name:   "restricted",
		Labels: map[string]string{"pod-security.kubernetes.io/enforce": "restricted"},
	}}
	if err := c.Client.Create(ctx, ns); err != nil {
		t.Fatal(err)
	}
	pod := func(name string, sc *corev1.SecurityContext) *corev1.Pod {
		return &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "restricted"},
			Spec: corev1.PodSpec{Containers: []corev1.Container{{
				Name: "app", Image: "example", SecurityContext: sc,
			}}},
		}
	}
	err = c.Client.Create(ctx, pod("loose", nil))
	if err == nil || !strings.Contains(err.Error(), "restricted") {
		t.Fatalf("a pod without a security context was admitted (err %v)", err)
	}
	compliant := &corev1.SecurityContext{
		RunAsNonRoot:             ptr.To(true),
		AllowPrivilegeEscalation: ptr.To(false),
		Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
		SeccompProfile: &corev1.SeccompProfile{
			Type: corev1.SeccompProfileTypeRuntimeDefault,
		},
	}
	if err := c.Client.Create(ctx, pod("tight", compliant)); err != nil {
		t.Fatalf("a compliant pod was rejected: %v", err)
	}
}

// With ServiceAccountAdmission a pod is admitted as in a real cluster: only once its
// ServiceAccount exists, and then with the plugin's kube-api-access-* projected volume
// mounted in its containers.
func TestServiceAccountAdmissionAddsTheKubeAPIAccessVolume(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	c, err := StartCluster(ctx, ClusterOptions{ServiceAccountAdmission: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Stop() })

	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "accounts"}}
	if err := c.Client.Create(ctx, ns); err != nil {
		t.Fatal(err)
	}
	pod := func() *corev1.Pod {
		return &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{GenerateName: "app-", Namespace: ns.Name},
			Spec: corev1.PodSpec{Containers: []corev1.Container{{
				Name: "app", Image: "example",
			}}},
		}
	}
	err = c.Client.Create(ctx, pod())
	if err == nil || !strings.Contains(err.Error(), `serviceaccount "default" not found`) {
		t.Fatalf("a pod without its ServiceAccount was admitted (err %v)", err)
	}

	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{
		Name: "default", Namespace: ns.Name}}
	if err := c.Client.Create(ctx, sa); err != nil {
		t.Fatal(err)
	}
	p := pod()
	if err := c.Client.Create(ctx, p); err != nil {
		t.Fatalf("a pod with its ServiceAccount was refused: %v", err)
	}
	if p.Spec.ServiceAccountName != "default" {
		t.Errorf("serviceAccountName %q, want default", p.Spec.ServiceAccountName)
	}
	if len(p.Spec.Volumes) != 1 || p.Spec.Volumes[0].Projected == nil ||
		!strings.HasPrefix(p.Spec.Volumes[0].Name, "kube-api-access-") {
		t.Fatalf("volumes %+v, want one projected kube-api-access-*", p.Spec.Volumes)
	}
	mounts := p.Spec.Containers[0].VolumeMounts
	if len(mounts) != 1 || mounts[0].Name != p.Spec.Volumes[0].Name {
		t.Errorf("the container mounts %+v, want %s", mounts, p.Spec.Volumes[0].Name)
	}
}
