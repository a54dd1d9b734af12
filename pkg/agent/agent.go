package agent

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"github.com/go-logr/logr"

	"github.com/rasa-vault-webhook/rasa-vault-webhook/pkg/endpoints"
	"github.com/rasa-vault-webhook/rasa-vault-webhook/pkg/vault"
	"github.com/rasa-vault-webhook/rasa-vault-webhook/pkg/vaultconfig"
)

// Environment variables for TLS to Vault, as Vault's own CLI names them. Rasa's
// client (hvac) reads the two CA ones itself, so they keep working for users moving
// from Rasa's own manager.
const (
	envCACert     = "VAULT_CACERT"
	envCAPath     = "VAULT_CAPATH"
	envClientCert = "VAULT_CLIENT_CERT"
	envClientKey  = "VAULT_CLIENT_KEY"
	envServerName = "VAULT_TLS_SERVER_NAME"
)

// agent is the state of one Run.
type agent struct {
	o      Options
	log    logr.Logger
	redact *redactor

	doc  *endpoints.Document
	refs []endpoints.Reference
	cfg  vaultconfig.Config
	// client is the Vault client; nil when the document has no references. The loop
	// replaces it when it adopts a new token from the token file, while a refresh may
	// be reading it, hence the atomic pointer.
	client atomic.Pointer[vault.Client]
	// loggedIn is set once a login method obtained the token the client holds.
	loggedIn bool
	// tokenFile follows --token-file for a rotated token; nil without one.
	tokenFile *tokenFile
}

// resolution is the result of one fetch: the files to write, endpoints file first.
type resolution struct {
	files []outFile
}

// msSince is the elapsed time since t in whole milliseconds, for logs.
func (a *agent) msSince(t time.Time) int64 {
	return a.o.Clock.Now().Sub(t).Milliseconds()
}

// load reads, parses and checks endpoints.yml and builds the Vault client. Nothing in
// here is worth a retry: a wrong file or configuration stays wrong.
func (a *agent) load() error {
	path := a.o.sourcePath()
	start := a.o.Clock.Now()
	data, err := readLimited(path)
	if err != nil {
		return fmt.Errorf("reading the endpoints file: %w", err)
	}
	a.log.Info("read endpoints file", "path", path, "bytes", len(data),
		"duration_ms", a.msSince(start))

	start = a.o.Clock.Now()
	doc, err := endpoints.Parse(data)
	if err != nil {
		return fmt.Errorf("parsing %s: %w", path, err)
	}
	if problems := doc.Problems(); len(problems) > 0 {
		return problemsError(path, problems)
	}
	a.doc, a.refs = doc, doc.References()
	a.log.Info("parsed endpoints file", "references", len(a.refs),
		"duration_ms", a.msSince(start))
	if len(a.refs) == 0 {
		a.log.Info("no vault references; the file is copied without its secrets_manager section")
		return nil
	}
	return a.configure()
}

// configure merges and validates the Vault settings and builds the client.
func (a *agent) configure() error {
	section, present, err := a.doc.SecretsManager(a.o.LookupEnv)
	if err != nil {
		return fmt.Errorf("reading secrets_manager in %s: %w", a.o.sourcePath(), err)
	}
	cfg, warnings := vaultconfig.Merge(section, a.o.LookupEnv)
	a.redact.add(cfg.Token)
	for _, w := range warnings {
		a.log.Info("vault configuration warning", "warning", a.redact.text(w))
	}
	if err := a.applyAuth(&cfg); err != nil {
		return err
	}
	a.log.Info("vault configuration", "config", cfg.Redacted(), "section_present", present,
		"auth_method", a.authMethod())
	validate := cfg.Validate
	if a.o.Auth.kubernetes() {
		validate = cfg.ValidateWithoutToken
	}
	if err := validate(needsTransit(a.refs)); err != nil {
		return fmt.Errorf("the Vault configuration is not usable: %w", err)
	}

	client, err := a.newClient(cfg, cfg.Token)
	if err != nil {
		return err
	}
	a.cfg = cfg
	a.client.Store(client)
	return nil
}

// newClient builds a Vault client for cfg that sends token.
func (a *agent) newClient(cfg vaultconfig.Config, token string) (*vault.Client, error) {
	cfg.Token = token
	return vault.New(cfg, vault.WithTLS(a.tlsFromEnv()))
}

// problemsError lists every structural problem of the endpoints file in one error.
func problemsError(path string, problems []endpoints.Problem) error {
	parts := make([]string, len(problems))
	for i, p := range problems {
		parts[i] = p.String()
		if p.Line > 0 {
			parts[i] = fmt.Sprintf("line %d: %s", p.Line, parts[i])
		}
	}
	return fmt.Errorf("%s has %d problem(s): %s", path, len(problems),
		strings.Join(parts, "; "))
}

// fetch reads the secret, resolves every reference and renders the files to write.
// steps receives the per-step timings (V(0) at start, V(1) on refreshes).
func (a *agent) fetch(ctx context.Context, steps logr.Logger) (resolution, error) {
	values := map[string]string{}
	if len(a.refs) > 0 {
		var err error
		if values, err = a.resolveReferences(ctx, steps); err != nil {
			return resolution{}, err
		}
	}

	start := a.o.Clock.Now()
	out, err := a.doc.Render(values)
	if err != nil {
		return resolution{}, fmt.Errorf("rendering the resolved %s: %w", a.o.EndpointsFile, err)
	}
	files := []outFile{{rel: a.o.EndpointsFile, data: out}}
	if a.o.CopyOthers {
		others, err := collectOthers(a.o.SourceDir, a.o.EndpointsFile)
		if err != nil {
			return resolution{}, err
		}
		files = append(files, others...)
	}
	steps.Info("rendered files", "files", len(files), "duration_ms", a.msSince(start))
	return resolution{files: files}, nil
}

// resolveReferences reads the one KV secret and returns each reference's value.
func (a *agent) resolveReferences(ctx context.Context, steps logr.Logger) (
	map[string]string, error) {
	start := a.o.Clock.Now()
	// One client for the whole resolution, even if the loop adopts a new token meanwhile.
	client := a.client.Load()
	secret, err := client.ReadSecret(ctx, a.cfg.MountPoint, a.cfg.SecretsPath)
	if err != nil {
		return nil, err
	}
	for _, v := range secret.Fields {
		a.redact.add(v)
	}
	steps.Info("read vault secret", "path", a.cfg.SecretPath(),
		"fields", len(secret.Fields)+len(secret.Unsupported), "duration_ms", a.msSince(start))

	start = a.o.Clock.Now()
	decrypt := func(ctx context.Context, ref endpoints.Reference, ciphertext string) (
		string, error) {
		return client.Decrypt(ctx, a.cfg.TransitMountPoint, ref.TransitKey, ciphertext)
	}
	values, notCiphertext, err := resolveValues(ctx, a.refs, secret, a.cfg.SecretPath(),
		decrypt)
	if err != nil {
		return nil, err
	}
	for _, v := range values {
		a.redact.add(v)
	}
	for _, p := range notCiphertext {
		steps.Info("reference has transit_key but its value is not transit ciphertext; "+
			"using it as stored, as Rasa does", "reference", p)
	}
	steps.Info("resolved references", "references", len(values),
		"duration_ms", a.msSince(start))
	return values, nil
}

// write writes the files that changed and logs the result.
func (a *agent) write(res resolution, steps logr.Logger) ([]string, error) {
	start := a.o.Clock.Now()
	written, err := writeFiles(a.o.OutputDir, res.files)
	if err != nil {
		return written, err
	}
	steps.Info("wrote files", "output_dir", a.o.OutputDir, "written", written,
		"unchanged", len(res.files)-len(written), "duration_ms", a.msSince(start))
	return written, nil
}
