package kube_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/rasa-vault-webhook/rasa-vault-webhook/pkg/kube"
	"github.com/rasa-vault-webhook/rasa-vault-webhook/test/harness"
)

// TestAgainstARealAPIServer reads ConfigMaps as the user the chart's RBAC describes,
// authenticated by the client certificate in an envtest kubeconfig.
func TestAgainstARealAPIServer(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a real kube-apiserver")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cluster, err := harness.StartCluster(ctx, harness.ClusterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cluster.Stop() })

	dir := t.TempDir()
	path, err := cluster.WebhookKubeconfig(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	c, err := kube.FromKubeconfig(path)
	if err != nil {
		t.Fatal(err)
	}
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "kube-client"}}
	cm := &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: "endpoints", Namespace: ns.Name},
		Data:       map[string]string{"endpoints.yml": "vault: https://vault:8200\n"},
	}
	if err := cluster.Client.Create(ctx, ns); err != nil {
		t.Fatal(err)
	}
	if err := cluster.Client.Create(ctx, cm); err != nil {
		t.Fatal(err)
	}

	t.Run("an existing ConfigMap is returned with its data", func(t *testing.T) {
		got, err := c.GetConfigMap(ctx, ns.Name, cm.Name)
		if err != nil {
			t.Fatal(err)
		}
		if got.Data["endpoints.yml"] != cm.Data["endpoints.yml"] || got.UID == "" {
			t.Errorf("got %+v", got)
		}
	})

	t.Run("concurrent reviews share the client", func(t *testing.T) {
		var wg sync.WaitGroup
		errs := make(chan error, 32)
		for range 32 {
			wg.Go(func() {
				_, err := c.GetConfigMap(ctx, ns.Name, cm.Name)
				errs <- err
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
	})

	t.Run("a missing ConfigMap is NotFound", func(t *testing.T) {
		_, err := c.GetConfigMap(ctx, ns.Name, "absent")
		if !apierrors.IsNotFound(err) {
			t.Fatalf("got %v", err)
		}
		// The controller-runtime client the webhook used before reports the same.
		want := cluster.Client.Get(ctx, client.ObjectKey{Namespace: ns.Name, Name: "absent"},
			&corev1.ConfigMap{})
		if want == nil || err.Error() != want.Error() {
			t.Errorf("error %q, controller-runtime's %q", err, want)
		}
	})

	t.Run("a name that is no valid object name is NotFound", func(t *testing.T) {
		_, err := c.GetConfigMap(ctx, ns.Name, "Not_A-DNS.Name")
		if !apierrors.IsNotFound(err) {
			t.Fatalf("got %v", err)
		}
	})

	t.Run("a name that would change the path is refused before sending", func(t *testing.T) {
		_, err := c.GetConfigMap(ctx, ns.Name, "../secrets/x")
		if err == nil || !strings.Contains(err.Error(), "may not contain '/'") {
			t.Fatalf("got %v", err)
		}
	})

	t.Run("the server version is the cluster's", func(t *testing.T) {
		info, err := c.ServerVersion(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(info.GitVersion, "v1.37.") {
			t.Errorf("GitVersion = %q, want v1.37.x", info.GitVersion)
		}
	})

	t.Run("a user without RBAC is Forbidden", func(t *testing.T) {
		nobody := writeUserKubeconfig(t, cluster, dir, "nobody")
		c, err := kube.FromKubeconfig(nobody)
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.GetConfigMap(ctx, ns.Name, cm.Name)
		if !apierrors.IsForbidden(err) || !strings.Contains(err.Error(), `"nobody"`) {
			t.Fatalf("got %v", err)
		}
	})
}

// writeUserKubeconfig adds an envtest user without any RBAC and writes its kubeconfig.
func writeUserKubeconfig(t *testing.T, c *harness.Cluster, dir, name string) string {
	t.Helper()
	u, err := c.Env.AddUser(envtest.User{Name: name}, nil)
	if err != nil {
		t.Fatal(err)
	}
	data, err := u.KubeConfig()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, name+".kubeconfig")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}
