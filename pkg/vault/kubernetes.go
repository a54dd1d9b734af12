package vault

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"time"

	k8sauth "github.com/hashicorp/vault/api/auth/kubernetes"
)

// Defaults of the Kubernetes auth method as Vault and the Kubernetes docs name them.
const (
	// DefaultKubernetesMount is where `vault auth enable kubernetes` mounts the method.
	DefaultKubernetesMount = "kubernetes"
	// DefaultServiceAccountTokenPath is the service-account token every pod gets when
	// it automounts one. A projected token with audience "vault" at its own path is
	// better: it cannot be replayed against the Kubernetes API.
	DefaultServiceAccountTokenPath = "/var/run/secrets/kubernetes.io/serviceaccount/token"
)

// maxJWTSize caps the service-account token file; real ones are about 1 KiB.
const maxJWTSize = 64 << 10

// KubernetesLogin says how to log in with Vault's Kubernetes auth method.
type KubernetesLogin struct {
	// Role is the Vault role to log in as (auth/<mount>/role/<role>). Required.
	Role string
	// Mount is the method's mount path without "auth/"; DefaultKubernetesMount when
	// empty.
	Mount string
	// TokenPath is the file holding the pod's service-account token;
	// DefaultServiceAccountTokenPath when empty. It is read at every login, because the
	// kubelet rotates projected tokens.
	TokenPath string
}

// withDefaults fills in the default mount and token path.
func (l KubernetesLogin) withDefaults() KubernetesLogin {
	l.Mount = strings.Trim(l.Mount, "/")
	if l.Mount == "" {
		l.Mount = DefaultKubernetesMount
	}
	if l.TokenPath == "" {
		l.TokenPath = DefaultServiceAccountTokenPath
	}
	return l
}

// LoginKubernetes logs in with the pod's service-account token
// (POST /v1/auth/<mount>/login), makes the returned token the client's, and returns
// what Vault said about it. The service-account token and the Vault token are put on
// the client's redaction list and never appear in an error.
func (c *Client) LoginKubernetes(ctx context.Context, l KubernetesLogin) (TokenInfo, error) {
	l = l.withDefaults()
	path := "auth/" + l.Mount + "/login"
	if strings.TrimSpace(l.Role) == "" {
		return TokenInfo{}, &Error{Path: path, msg: "the Kubernetes auth role is not set: " +
			"pass --auth-role, the Vault role bound to the pod's service account"}
	}
	jwt, err := readJWT(l.TokenPath)
	if err != nil {
		return TokenInfo{}, &Error{Path: path, msg: err.Error(), cause: err}
	}
	c.addSecret(jwt)

	method, err := k8sauth.NewKubernetesAuth(l.Role, k8sauth.WithServiceAccountToken(jwt),
		k8sauth.WithMountPath(l.Mount))
	if err != nil {
		return TokenInfo{}, &Error{Path: path, msg: fmt.Sprintf("preparing the Kubernetes "+
			"login at %s: %s", path, c.redact(err.Error()))}
	}
	// The login goes out on a clone without a token: a stale token on an
	// unauthenticated path helps nothing and only widens what could be logged.
	anon, err := c.api.Clone()
	if err != nil {
		return TokenInfo{}, fmt.Errorf("preparing the Kubernetes login at %s: %w", path, err)
	}
	anon.ClearToken()
	if c.namespace != "" {
		anon.SetNamespace(c.namespace)
	}
	secret, err := method.Login(ctx, anon)
	if err != nil {
		return TokenInfo{}, c.classify("logging in at", path, err, hints{
			denied: fmt.Sprintf("Vault refused the service-account token for role %q: "+
				"check the role's bound service account names and namespaces, its audience "+
				"(the token's must match), and the method's kubernetes_host and CA", l.Role),
			notFound: fmt.Sprintf("no Kubernetes auth method at auth/%s: enable it with "+
				"vault auth enable -path=%s kubernetes, or fix --auth-mount", l.Mount, l.Mount),
		})
	}
	if secret == nil || secret.Auth == nil || secret.Auth.ClientToken == "" {
		return TokenInfo{}, &Error{Path: path, msg: "logging in at " + path +
			": Vault returned no token"}
	}
	c.useToken(secret.Auth.ClientToken)

	ttl := time.Duration(secret.Auth.LeaseDuration) * time.Second
	info := TokenInfo{TTL: ttl, CreationTTL: ttl, Renewable: secret.Auth.Renewable,
		Policies: secret.Auth.Policies}
	return info, nil
}

// readJWT reads a service-account token file; its errors say how to mount one.
func readJWT(path string) (string, error) {
	const fix = "mount a projected service-account token (audience vault) there, " +
		"or point --sa-token-path at one"
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("the service-account token file %s does not exist: %s", path, fix)
	}
	if err != nil {
		return "", fmt.Errorf("opening the service-account token file: %w", err)
	}
	defer func() { _ = f.Close() }()
	data, err := io.ReadAll(io.LimitReader(f, maxJWTSize+1))
	if err != nil {
		return "", fmt.Errorf("reading the service-account token file %s: %w", path, err)
	}
	if len(data) > maxJWTSize {
		return "", fmt.Errorf("the service-account token file %s is larger than %d bytes; "+
			"is it a token? %s", path, maxJWTSize, fix)
	}
	jwt := strings.TrimSpace(string(data))
	if jwt == "" {
		return "", fmt.Errorf("the service-account token file %s is empty: %s", path, fix)
	}
	return jwt, nil
}
