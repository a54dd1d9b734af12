package webhooktest

import (
	"context"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/rasa-vault-webhook/rasa-vault-webhook/pkg/inject"
)

func TestDenialReachesTheClientWithItsMessage(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c := adminClient(t)
	ns := namespace(ctx, t, c, nil)

	pod := botPod(ns, map[string]string{inject.AnnotationAgentSidecar: "maybe",
		inject.AnnotationRefreshInterval: "often"})
	err := c.Create(ctx, pod)
	if !apierrors.IsForbidden(err) {
		t.Fatalf("want Forbidden, got %v", err)
	}
	for _, want := range []string{"denied the request", inject.AnnotationAgentSidecar,
		`"maybe"`, inject.AnnotationRefreshInterval, `"often" is not a duration`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the client's error lacks %q: %v", want, err)
		}
	}

	var pods corev1.PodList
	if err := c.List(ctx, &pods, client.InNamespace(ns)); err != nil {
		t.Fatal(err)
	}
	if len(pods.Items) != 0 {
		t.Errorf("a denied pod was stored: %d pods", len(pods.Items))
	}
}

func TestWarningsReachTheClient(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c := adminClient(t)
	ns := namespace(ctx, t, c, nil)

	const planted = "hvs.PLANTED-WEBHOOKTEST-TOKEN"
	pod := botPod(ns, nil)
	pod.Spec.Containers[0].Env = []corev1.EnvVar{{Name: "VAULT_TOKEN", Value: planted}}
	before := warnings.count()
	if err := c.Create(ctx, pod); err != nil {
		t.Fatal(err)
	}
	got := strings.Join(warnings.since(before), "\n")
	if !strings.Contains(got, "VAULT_TOKEN as a literal value") {
		t.Errorf("no literal-token warning reached the client: %q", got)
	}
	if strings.Contains(got, planted) {
		t.Error("a warning carries the planted token")
	}
}

func TestDryRunCreatesNothing(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c := adminClient(t)
	ns := namespace(ctx, t, c, nil)

	pod := botPod(ns, nil)
	pod.Name, pod.GenerateName = "bot-dry", ""
	if err := c.Create(ctx, pod, client.DryRunAll); err != nil {
		t.Fatalf("dry-run create: %v", err)
	}
	if got := initNames(pod); len(got) != 2 {
		t.Errorf("the dry-run answer is not injected: init containers %v", got)
	}

	err := c.Get(ctx, client.ObjectKeyFromObject(pod), &corev1.Pod{})
	if !apierrors.IsNotFound(err) {
		t.Errorf("after a dry run the pod exists or the read failed: %v", err)
	}
	var pods corev1.PodList
	if err := c.List(ctx, &pods, client.InNamespace(ns)); err != nil {
		t.Fatal(err)
	}
	if len(pods.Items) != 0 {
		t.Errorf("%d pods exist after a dry run, want none", len(pods.Items))
	}
}

func TestPodsNotOptedInAreUntouched(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c := adminClient(t)
	ns := namespace(ctx, t, c, nil)

	for _, value := range []string{"", "false"} {
		pod := botPod(ns, nil)
		if value == "" {
			delete(pod.Annotations, inject.AnnotationInject)
		} else {
			pod.Annotations[inject.AnnotationInject] = value
		}
		if err := c.Create(ctx, pod); err != nil {
			t.Fatal(err)
		}
		if len(pod.Spec.InitContainers) != 0 {
			t.Errorf("inject=%q: the pod was changed: %v", value, initNames(pod))
		}
	}
}
