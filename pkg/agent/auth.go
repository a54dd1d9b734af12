package agent

import (
	"errors"
	"fmt"
	"strings"

	"github.com/rasa-vault-webhook/rasa-vault-webhook/pkg/vault"
	"github.com/rasa-vault-webhook/rasa-vault-webhook/pkg/vaultconfig"
)

// The auth methods the agent supports.
const (
	// AuthToken uses a Vault token given to the pod: VAULT_TOKEN or secrets_manager.token
	// as Rasa reads them, or the file named by Auth.TokenFile.
	AuthToken = "token"
	// AuthKubernetes logs in with the pod's service-account token and logs in again
	// whenever the Vault token can no longer be renewed.
	AuthKubernetes = "kubernetes"
)

// Auth says how the agent obtains its Vault token.
type Auth struct {
	// Method is AuthToken (the default when empty) or AuthKubernetes.
	Method string
	// Role, Mount and TokenPath configure AuthKubernetes; see vault.KubernetesLogin.
	Role      string
	Mount     string
	TokenPath string
	// TokenFile, with AuthToken, is a file holding the token (e.g. a mounted Secret
	// key); it wins over VAULT_TOKEN and secrets_manager.token. Agent mode re-reads it
	// when it changes or Vault refuses the token, and adopts a token it finds rotated.
	TokenFile string
}

// kubernetes reports whether the method logs in by itself.
func (a Auth) kubernetes() bool { return a.Method == AuthKubernetes }

// login is the Kubernetes login the Vault client performs.
func (a Auth) login() vault.KubernetesLogin {
	return vault.KubernetesLogin{Role: a.Role, Mount: a.Mount, TokenPath: a.TokenPath}
}

// check rejects combinations that cannot work, naming the flag to fix.
func (a Auth) check() error {
	switch a.Method {
	case "", AuthToken:
		if a.Role != "" {
			return errors.New("--auth-role is set but --auth-method is token: " +
				"pass --auth-method=kubernetes to log in with the role")
		}
		return nil
	case AuthKubernetes:
		if strings.TrimSpace(a.Role) == "" {
			return errors.New("--auth-method=kubernetes needs --auth-role, the Vault role " +
				"bound to the pod's service account")
		}
		if a.TokenFile != "" {
			return errors.New("--token-file is for --auth-method=token; with kubernetes " +
				"the token comes from the login (set --sa-token-path for the JWT)")
		}
		return nil
	default:
		return fmt.Errorf("--auth-method %q is not supported: use %s or %s",
			a.Method, AuthToken, AuthKubernetes)
	}
}

// authMethod names the configured method for logs.
func (a *agent) authMethod() string {
	if a.o.Auth.kubernetes() {
		return AuthKubernetes
	}
	return AuthToken
}

// applyAuth puts the token of the configured method into cfg: the token file's
// content for token auth with a file, nothing for Kubernetes auth (its token comes
// from the login; a configured one is ignored, with a warning).
func (a *agent) applyAuth(cfg *vaultconfig.Config) error {
	switch {
	case a.o.Auth.kubernetes():
		if cfg.Token != "" {
			a.log.Info("vault configuration warning", "warning", "a Vault token is "+
				"configured but the auth method is kubernetes; the token is not used")
		}
		cfg.Token = ""
	case a.o.Auth.TokenFile != "":
		file, token, err := openTokenFile(a.o.Auth.TokenFile)
		if err != nil {
			return err
		}
		a.redact.add(token)
		a.tokenFile = file
		if cfg.Token != "" && cfg.Token != token {
			a.log.Info("vault configuration warning", "warning", "both a Vault token and "+
				"--token-file are set; the file wins")
		}
		cfg.Token = token
	}
	return nil
}

// tlsFromEnv reads the TLS settings for Vault from the standard variables.
func (a *agent) tlsFromEnv() vault.TLS {
	get := func(name string) string {
		v, _ := a.o.LookupEnv(name)
		return v
	}
	return vault.TLS{
		CACert:     get(envCACert),
		CAPath:     get(envCAPath),
		ClientCert: get(envClientCert),
		ClientKey:  get(envClientKey),
		ServerName: get(envServerName),
	}
}
