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
