package harness

import (
	"context"
	"fmt"
	"time"

	vaultapi "github.com/hashicorp/vault/api"
	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

// minTokenLifetime is the shortest lifetime the TokenRequest API grants.
const minTokenLifetime = 10 * time.Minute

// EnsureServiceAccount creates namespace ns (when missing) and the ServiceAccount name
// in it (when missing).
func (c *Cluster) EnsureServiceAccount(ctx context.Context, ns, name string) error {
	nsObj := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}
	if _, err := c.Clientset.CoreV1().Namespaces().Create(ctx, nsObj,
		metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("creating namespace %s: %w", ns, err)
	}
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns}}
	if _, err := c.Clientset.CoreV1().ServiceAccounts(ns).Create(ctx, sa,
		metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("creating service account %s/%s: %w", ns, name, err)
	}
	return nil
}

// ServiceAccountToken returns a token of ServiceAccount ns/name from the TokenRequest
// API (envtest runs no token controller). audience empty means the apiserver's
// default audience (its issuer URL), which the TokenReview API accepts.
func (c *Cluster) ServiceAccountToken(ctx context.Context, ns, name, audience string) (
	string, error) {
	req := &authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{
		ExpirationSeconds: ptr.To(int64(minTokenLifetime / time.Second)),
	}}
	if audience != "" {
		req.Spec.Audiences = []string{audience}
	}
	got, err := c.Clientset.CoreV1().ServiceAccounts(ns).CreateToken(ctx, name, req,
		metav1.CreateOptions{})
	if err != nil {
		return "", fmt.Errorf("requesting a token for %s/%s: %w", ns, name, err)
	}
	return got.Status.Token, nil
}

// KubernetesAuthOptions configures Vault's Kubernetes auth method for a test.
type KubernetesAuthOptions struct {
	// Mount is the method's path without "auth/"; unique per test so tests sharing a
	// Vault do not meet.
	Mount string
	// ReviewerNamespace and Reviewer name the ServiceAccount Vault uses for TokenReview;
	// it is bound to ClusterRole system:auth-delegator.
	ReviewerNamespace, Reviewer string
}

// EnableKubernetesAuth enables the Kubernetes auth method at o.Mount and points it at
// the cluster: the apiserver URL and CA from the admin rest.Config, and a reviewer
// token of a ServiceAccount allowed to create TokenReviews.
func (v *Vault) EnableKubernetesAuth(ctx context.Context, c *Cluster,
	o KubernetesAuthOptions) error {
	if err := c.EnsureServiceAccount(ctx, o.ReviewerNamespace, o.Reviewer); err != nil {
		return err
	}
	binding := &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "rvw-reviewer-" + o.ReviewerNamespace + "-" +
			o.Reviewer},
		RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole",
			Name: "system:auth-delegator"},
		Subjects: []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Name: o.Reviewer,
			Namespace: o.ReviewerNamespace}},
	}
	if _, err := c.Clientset.RbacV1().ClusterRoleBindings().Create(ctx, binding,
		metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("binding the reviewer to system:auth-delegator: %w", err)
	}
	jwt, err := c.ServiceAccountToken(ctx, o.ReviewerNamespace, o.Reviewer, "")
	if err != nil {
		return err
	}

	ctx, cancel := context.WithTimeout(ctx, requestTimeout)
	defer cancel()
	if err := v.Client.Sys().EnableAuthWithOptionsWithContext(ctx, o.Mount,
		&vaultapi.EnableAuthOptions{Type: "kubernetes"}); err != nil {
		return fmt.Errorf("enabling kubernetes auth at auth/%s: %w", o.Mount, err)
	}
	_, err = v.Client.Logical().WriteWithContext(ctx, "auth/"+o.Mount+"/config",
		map[string]any{
			"kubernetes_host":      c.Config.Host,
			"kubernetes_ca_cert":   string(c.Config.CAData),
			"token_reviewer_jwt":   jwt,
			"disable_local_ca_jwt": true,
		})
	if err != nil {
		return fmt.Errorf("configuring auth/%s/config: %w", o.Mount, err)
	}
	return nil
}

// KubernetesRole is one role of the Kubernetes auth method.
type KubernetesRole struct {
	Name                  string
	ServiceAccount        string
	Namespace             string
	Audience              string
	Policies              []string
	TokenTTL, TokenMaxTTL time.Duration
}

// WriteKubernetesRole creates or replaces role r on the method at mount.
func (v *Vault) WriteKubernetesRole(mount string, r KubernetesRole) error {
	ctx, cancel := context.WithTimeout(context.Background(), requestTimeout)
	defer cancel()
	data := map[string]any{
		"bound_service_account_names":      []string{r.ServiceAccount},
		"bound_service_account_namespaces": []string{r.Namespace},
		"token_policies":                   r.Policies,
	}
	if r.Audience != "" {
		data["audience"] = r.Audience
	}
	if r.TokenTTL > 0 {
		data["token_ttl"] = int64(r.TokenTTL / time.Second)
	}
	if r.TokenMaxTTL > 0 {
		data["token_max_ttl"] = int64(r.TokenMaxTTL / time.Second)
	}
	path := "auth/" + mount + "/role/" + r.Name
	if _, err := v.Client.Logical().WriteWithContext(ctx, path, data); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}
