package harness

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	admissionv1 "k8s.io/api/admissionregistration/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
)

// Cluster is a real etcd + kube-apiserver pair started by envtest on 127.0.0.1.
type Cluster struct {
	// Env is the envtest environment; its WebhookInstallOptions say where the
	// apiserver expects the webhook to listen and hold the serving certificate.
	Env *envtest.Environment
	// Config authenticates as a cluster admin.
	Config *rest.Config
	// Client is a controller-runtime client with admin rights.
	Client client.Client
	// Clientset is a client-go clientset with admin rights (TokenRequest and friends).
	Clientset kubernetes.Interface
}

// ClusterOptions configures StartCluster.
type ClusterOptions struct {
	// MutatingWebhooks are installed after start; envtest rewrites their service
	// references to https://127.0.0.1:<port>/<path> with its own CA.
	MutatingWebhooks []*admissionv1.MutatingWebhookConfiguration
	// ServiceAccountAdmission turns the ServiceAccount admission plugin back on, which
	// envtest disables: as in a real cluster, every pod then gets a serviceAccountName
	// ("default" unless it names one) and, unless automountServiceAccountToken is false,
	// a projected volume named kube-api-access-<5 random characters> mounted in every
	// container. The plugin refuses a pod whose ServiceAccount does not exist, and no
	// controller-manager creates "default": callers create it in each namespace.
	ServiceAccountAdmission bool
}

// StartCluster starts etcd and kube-apiserver built by test/tools/build.sh. Stop it
// with Stop; the caller decides when (tests use t.Cleanup, the demo defers).
func StartCluster(ctx context.Context, opts ClusterOptions) (*Cluster, error) {
	assets, err := EnvtestAssets(ctx)
	if err != nil {
		return nil, err
	}
	env := &envtest.Environment{
		BinaryAssetsDirectory:    assets,
		ControlPlaneStartTimeout: 2 * time.Minute,
		ControlPlaneStopTimeout:  30 * time.Second,
		WebhookInstallOptions: envtest.WebhookInstallOptions{
			MutatingWebhooks: opts.MutatingWebhooks,
			LocalServingHost: "127.0.0.1",
		},
	}
	if opts.ServiceAccountAdmission {
		// envtest passes --disable-admission-plugins=ServiceAccount; without the flag
		// the plugin is on by default. Its token signing keys envtest configures anyway.
		env.ControlPlane.GetAPIServer().Configure().Disable("disable-admission-plugins")
	}
	cfg, err := env.Start()
	if err != nil {
		return nil, fmt.Errorf("starting envtest control plane: %w", err)
	}
	c := &Cluster{Env: env, Config: cfg}
	if c.Client, err = client.New(cfg, client.Options{}); err != nil {
		_ = env.Stop()
		return nil, fmt.Errorf("creating client: %w", err)
	}
	if c.Clientset, err = kubernetes.NewForConfig(cfg); err != nil {
		_ = env.Stop()
		return nil, fmt.Errorf("creating clientset: %w", err)
	}
	return c, nil
}

// Stop stops the control plane and removes its temporary files.
func (c *Cluster) Stop() error {
	return c.Env.Stop()
}

// WebhookKubeconfig provisions a user that may only get ConfigMaps,
// the exact rights the webhook's chart grants, and writes a kubeconfig for it into dir.
func (c *Cluster) WebhookKubeconfig(ctx context.Context, dir string) (string, error) {
	const user = "rasa-vault-webhook"
	role := &rbacv1.ClusterRole{
		ObjectMeta: metav1.ObjectMeta{Name: user},
		Rules: []rbacv1.PolicyRule{{
			APIGroups: []string{""},
			Resources: []string{"configmaps"},
			Verbs:     []string{"get"},
		}},
	}
	binding := &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: user},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: user},
		Subjects:   []rbacv1.Subject{{Kind: rbacv1.UserKind, Name: user}},
	}
	for _, obj := range []client.Object{role, binding} {
		if err := c.Client.Create(ctx, obj); err != nil {
			return "", fmt.Errorf("creating RBAC for the webhook user: %w", err)
		}
	}
	u, err := c.Env.AddUser(envtest.User{Name: user}, nil)
	if err != nil {
		return "", fmt.Errorf("adding the webhook user: %w", err)
	}
	data, err := u.KubeConfig()
	if err != nil {
		return "", fmt.Errorf("writing the webhook user's kubeconfig: %w", err)
	}
	path := filepath.Join(dir, "webhook.kubeconfig")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		return "", fmt.Errorf("writing %s: %w", path, err)
	}
	return path, nil
}
