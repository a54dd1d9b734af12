package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/rasa-vault-webhook/rasa-vault-webhook/test/harness"
)

// Names of the secret and policy every agent run reads with.
const (
	secretPath = "rasa-secrets"
	policyName = "rasa-read"
	policyHCL  = `path "secret/data/rasa-secrets" { capabilities = ["read"] }`
	// dbPassword is the value the resolved files must carry, so a run that wrote a
	// file without the secret does not count.
	dbPassword = "bench-password-3f1c"
)

// vaultWorld is a Vault dev server holding the sample's secret, plus the sample's
// endpoints.yml in a directory playing the ConfigMap volume.
type vaultWorld struct {
	vault     *harness.Vault
	vaultBin  string
	sourceDir string
}

// startVaultWorld starts the dev server and stores the secret and read policy.
func startVaultWorld(ctx context.Context, dir string, s *sample) (*vaultWorld, error) {
	bin, err := harness.ToolPath(ctx, "vault")
	if err != nil {
		return nil, err
	}
	v, err := harness.StartVaultProcess(ctx, nil)
	if err != nil {
		return nil, err
	}
	w := &vaultWorld{vault: v, vaultBin: bin, sourceDir: filepath.Join(dir, "configmap")}
	if err := w.seed(s); err != nil {
		v.Stop()
		return nil, err
	}
	return w, nil
}

func (w *vaultWorld) seed(s *sample) error {
	err := w.vault.PutSecret("secret", secretPath, map[string]any{
		"sql_store_username": "rasa", "sql_store_password": dbPassword,
	})
	if err != nil {
		return err
	}
	if err := w.vault.WritePolicy(policyName, policyHCL); err != nil {
		return err
	}
	if err := os.MkdirAll(w.sourceDir, 0o755); err != nil {
		return fmt.Errorf("creating %s: %w", w.sourceDir, err)
	}
	endpoints := filepath.Join(w.sourceDir, "endpoints.yml")
	if err := os.WriteFile(endpoints, []byte(s.ConfigMap.Data["endpoints"]), 0o644); err != nil {
		return fmt.Errorf("writing %s: %w", endpoints, err)
	}
	return nil
}

// token creates a renewable token that may read the secret, living ttl.
func (w *vaultWorld) token(ttl time.Duration) (string, error) {
	return w.vault.CreateToken([]string{policyName}, ttl, true)
}

// stop ends the dev server.
func (w *vaultWorld) stop() { w.vault.Stop() }
