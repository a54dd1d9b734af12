package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	vaultapi "github.com/hashicorp/vault/api"

	"github.com/rasa-vault-webhook/rasa-vault-webhook/test/harness"
)

// kubeAuthSetup is Vault's Kubernetes auth configured against the envtest apiserver for
// one test: its own mount, namespace, service account, policy and secret.
type kubeAuthSetup struct {
	mount, namespace, secretsPath string
	user, password, jwt           string
}

// setUpKubeAuth configures the method with a role whose tokens live ttl and at most
// maxTTL, and returns a TokenRequest token (audience vault) of the pod's account.
func setUpKubeAuth(ctx context.Context, t *testing.T, ttl, maxTTL time.Duration) kubeAuthSetup {
	t.Helper()
	suffix := harness.RandomHex(4)
	s := kubeAuthSetup{
		mount:       "k8s-" + suffix,
		namespace:   "kubeauth-" + suffix,
		secretsPath: "kubeauth-" + suffix,
		user:        "user-PLANTED-" + harness.RandomHex(4),
		password:    "pw-PLANTED-" + harness.RandomHex(6),
	}
	v, c := world.Vault, world.Cluster
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(v.PutSecret("secret", s.secretsPath, map[string]any{
		"sql_store_username": s.user, "sql_store_password": s.password}))
	must(v.WritePolicy(s.secretsPath,
		fmt.Sprintf(`path "secret/data/%s" { capabilities = ["read"] }`, s.secretsPath)))
	must(v.EnableKubernetesAuth(ctx, c, harness.KubernetesAuthOptions{
		Mount: s.mount, ReviewerNamespace: s.namespace, Reviewer: "vault-reviewer"}))
	must(c.EnsureServiceAccount(ctx, s.namespace, "rasa"))
	must(v.WriteKubernetesRole(s.mount, harness.KubernetesRole{
		Name: "rasa", ServiceAccount: "rasa", Namespace: s.namespace, Audience: "vault",
		Policies: []string{s.secretsPath}, TokenTTL: ttl, TokenMaxTTL: maxTTL}))
	jwt, err := c.ServiceAccountToken(ctx, s.namespace, "rasa", "vault")
	must(err)
	s.jwt = jwt
	waitForLogin(ctx, t, s)
	return s
}

// waitForLogin retries a login for a few seconds: a new ClusterRoleBinding takes a
// moment to reach the apiserver's authorizer, and Vault says only "permission denied".
func waitForLogin(ctx context.Context, t *testing.T, s kubeAuthSetup) {
	t.Helper()
	client, err := vaultapi.NewClient(&vaultapi.Config{Address: world.Vault.Addr})
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		client.ClearToken()
		secret, err := client.Logical().WriteWithContext(ctx, "auth/"+s.mount+"/login",
			map[string]any{"role": "rasa", "jwt": s.jwt})
		if err == nil && secret != nil && secret.Auth != nil {
			client.SetToken(secret.Auth.ClientToken)
			_ = client.Auth().Token().RevokeSelfWithContext(ctx, "")
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("kubernetes login never succeeded: %v", err)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

func TestAgentWithKubernetesAuthRenewsLogsInAgainAndRevokesOnExit(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	// Renewals every second (TTL under 15 s); the max TTL caps them after ~7 s.
	s := setUpKubeAuth(ctx, t, 10*time.Second, 16*time.Second)
	jwtPath := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(jwtPath, []byte(s.jwt), 0o600); err != nil {
		t.Fatal(err)
	}
	p := startAgent(t, []string{"VAULT_RASA_SECRETS_PATH=" + s.secretsPath},
		"--auth-method=kubernetes", "--auth-role=rasa", "--auth-path="+s.mount,
		"--sa-token-path="+jwtPath, "--revoke-on-exit")

	resolved := filepath.Join(p.outputDir, "endpoints-sql.yml")
	waitFor(t, 30*time.Second, "the resolved file", func() bool {
		data, err := os.ReadFile(resolved)
		return err == nil && strings.Contains(string(data), `password: "`+s.password+`"`)
	})
	waitFor(t, 5*time.Second, "the probe to pass", func() bool {
		code, _ := p.probe(t)
		return code == 0
	})
	waitFor(t, 40*time.Second, "a second login after the max TTL", func() bool {
		return strings.Contains(p.out.String(), `"msg":"logged in to vault again"`)
	})
	out := p.out.String()
	if n := strings.Count(out, `"msg":"vault token renewed"`); n < 3 {
		t.Errorf("%d renewals logged before the second login, want several", n)
	}
	if !strings.Contains(out, `"msg":"vault token reached its maximum TTL; logging in again"`) {
		t.Error("the agent did not say why it logged in again")
	}
	if code, msg := p.probe(t); code != 0 {
		t.Errorf("probe after the second login: exit %d: %s", code, msg)
	}

	took, err := p.stop(t)
	if err != nil {
		t.Errorf("agent exit after SIGTERM: %v\n%s", err, p.out.String())
	}
	if took > time.Second {
		t.Errorf("the agent took %s to exit after SIGTERM, want under a second", took)
	}
	out = p.out.String()
	if !strings.Contains(out, `"msg":"revoked the vault token on exit"`) {
		t.Errorf("no revocation on exit logged:\n%s", out)
	}
	if code, _ := p.probe(t); code != 1 {
		t.Errorf("probe of a stopped agent exited %d, want 1", code)
	}
	if _, err := os.Stat(resolved); err != nil {
		t.Errorf("the resolved file is gone after exit: %v", err)
	}
	for _, planted := range []string{s.jwt, s.password, s.user, "hvs.", world.Vault.RootToken} {
		if strings.Contains(out, planted) {
			t.Errorf("the agent's output contains a planted or token value (%.8s...)", planted)
		}
	}
}

// revokeLogins revokes every token issued by the Kubernetes auth method at mount, as an
// operator revoking a compromised pod's access would, through their accessors.
func revokeLogins(ctx context.Context, t *testing.T, mount string) int {
	t.Helper()
	c := world.Vault.Client
	list, err := c.Logical().ListWithContext(ctx, "auth/token/accessors")
	if err != nil || list == nil {
		t.Fatalf("listing token accessors: %v", err)
	}
	keys, _ := list.Data["keys"].([]any)
	revoked := 0
	for _, k := range keys {
		accessor, _ := k.(string)
		info, err := c.Auth().Token().LookupAccessorWithContext(ctx, accessor)
		if err != nil || info == nil {
			continue
		}
		if path, _ := info.Data["path"].(string); path != "auth/"+mount+"/login" {
			continue
		}
		if err := c.Auth().Token().RevokeAccessorWithContext(ctx, accessor); err != nil {
			t.Fatalf("revoking a token by accessor: %v", err)
		}
		revoked++
	}
	return revoked
}

func TestAgentWithKubernetesAuthLogsInAgainAfterItsTokenIsRevoked(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	// An hour-long token: no renewal is due, so only the refresh can notice.
	s := setUpKubeAuth(ctx, t, time.Hour, 2*time.Hour)
	jwtPath := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(jwtPath, []byte(s.jwt), 0o600); err != nil {
		t.Fatal(err)
	}
	p := startAgent(t, []string{"VAULT_RASA_SECRETS_PATH=" + s.secretsPath},
		"--auth-method=kubernetes", "--auth-role=rasa", "--auth-mount="+s.mount,
		"--sa-token-path="+jwtPath, "--refresh-interval=1s")
	waitFor(t, 30*time.Second, "the agent to be ready", func() bool {
		code, _ := p.probe(t)
		return code == 0
	})

	if n := revokeLogins(ctx, t, s.mount); n != 1 {
		t.Fatalf("revoked %d tokens of the mount, want the agent's one", n)
	}
	waitFor(t, 20*time.Second, "a new login after the revocation", func() bool {
		return strings.Contains(p.out.String(), `"msg":"logged in to vault again"`)
	})
	out := p.out.String()
	if !strings.Contains(out, `"msg":"vault token expired"`) ||
		!strings.Contains(out, "vault refused the token lookup") {
		t.Error("the agent did not report the revoked token before logging in again")
	}
	waitFor(t, 5*time.Second, "the probe to pass again", func() bool {
		code, _ := p.probe(t)
		return code == 0
	})
	if n := revokeLogins(ctx, t, s.mount); n != 1 {
		t.Errorf("%d live tokens of the mount after the new login, want 1", n)
	}
	for _, planted := range []string{s.jwt, s.password, s.user, "hvs.", world.Vault.RootToken} {
		if strings.Contains(p.out.String(), planted) {
			t.Errorf("the agent's output contains a planted or token value (%.8s...)", planted)
		}
	}
}
