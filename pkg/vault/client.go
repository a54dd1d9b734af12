package vault

import (
	"crypto/tls"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-cleanhttp"
	vaultapi "github.com/hashicorp/vault/api"

	"github.com/rasa-vault-webhook/rasa-vault-webhook/pkg/vaultconfig"
)

// DefaultTimeout bounds each request to Vault. A KV read or a token renewal answers in
// milliseconds; ten seconds is long enough for a slow network and short enough that
// the init container's own deadline (a minute by default) still sees several tries.
const DefaultTimeout = 10 * time.Second

// Client talks to one Vault server with one token at a time (and namespace, when
// set). The token is the one given to New or the last one a login returned. It is
// safe for concurrent use.
type Client struct {
	api        *vaultapi.Client
	httpClient *http.Client
	addr       string
	namespace  string

	mu      sync.RWMutex
	token   string
	secrets []string // earlier tokens and login credentials, blanked by redact too
}

// TLS is the client side of TLS to Vault, under the names Vault's own CLI reads from
// the environment: the CA that signed the server's certificate (VAULT_CACERT,
// VAULT_CAPATH; Rasa's client honours both), a client certificate for Vault's cert
// auth or mutual TLS (VAULT_CLIENT_CERT, VAULT_CLIENT_KEY) and the name to verify
// the server's certificate against (VAULT_TLS_SERVER_NAME).
type TLS struct {
	// CACert is a PEM file of CA certificates; it wins over CAPath.
	CACert string
	// CAPath is a directory of PEM CA certificates.
	CAPath string
	// ClientCert and ClientKey are PEM files of a client certificate and its key;
	// both or neither.
	ClientCert string
	ClientKey  string
	// ServerName is the name the server's certificate must carry, when it differs
	// from the host of the address (e.g. Vault reached through an IP or a tunnel).
	ServerName string
}

// Option adjusts a Client built by New.
type Option func(*settings)

type settings struct {
	timeout    time.Duration
	tls        TLS
	httpClient *http.Client
}

// WithTimeout sets the per-request timeout (DefaultTimeout when unset or not positive).
func WithTimeout(d time.Duration) Option {
	return func(s *settings) { s.timeout = d }
}

// WithTLS sets the CA material used to verify an https Vault address.
func WithTLS(t TLS) Option {
	return func(s *settings) { s.tls = t }
}

// WithHTTPClient replaces the HTTP client, e.g. for a test transport; it cannot be
// combined with WithTLS. The per-request timeout still applies through the context.
func WithHTTPClient(c *http.Client) Option {
	return func(s *settings) { s.httpClient = c }
}

// New builds a Client from the merged configuration: cfg.URL, cfg.Token and
// cfg.Namespace are used exactly as given. The vault/api library's own reading of
// VAULT_ADDR, VAULT_TOKEN and VAULT_NAMESPACE is overridden, because Rasa's variable
// names differ and vaultconfig has already merged them. The library retries nothing
// (MaxRetries 0): retrying is the caller's decision, made with the error kinds.
func New(cfg vaultconfig.Config, opts ...Option) (*Client, error) {
	s := settings{timeout: DefaultTimeout}
	for _, opt := range opts {
		opt(&s)
	}
	if s.timeout <= 0 {
		s.timeout = DefaultTimeout
	}
	addr, err := checkAddress(cfg.URL)
	if err != nil {
		return nil, err
	}

	apiCfg := &vaultapi.Config{
		Address:    addr,
		HttpClient: s.httpClient,
		Timeout:    s.timeout,
		MaxRetries: 0,
	}
	if apiCfg.HttpClient == nil {
		apiCfg.HttpClient = newHTTPClient()
	}
	if s.tls != (TLS{}) {
		if s.httpClient != nil {
			return nil, fmt.Errorf("vault.New: WithTLS and WithHTTPClient cannot be combined")
		}
		if err := configureTLS(apiCfg, s.tls); err != nil {
			return nil, err
		}
	}

	client, err := vaultapi.NewClient(apiCfg)
	if err != nil {
		return nil, fmt.Errorf("creating the Vault client for %s: %w", addr, err)
	}
	client.SetToken(cfg.Token)
	if cfg.Namespace != "" {
		client.SetNamespace(cfg.Namespace)
	} else {
		client.ClearNamespace()
	}
	return &Client{api: client, httpClient: apiCfg.HttpClient, addr: addr,
		namespace: cfg.Namespace, token: cfg.Token}, nil
}

// CloseIdleConnections closes the client's idle connections to Vault. Call it when the
// client is dropped for another (a new token from the token file): each client has its
// own connection pool, whose idle connections would otherwise stay open for 90 s.
// Requests in flight are not affected.
func (c *Client) CloseIdleConnections() {
	c.httpClient.CloseIdleConnections()
}

// Address returns the Vault base URL the client talks to.
func (c *Client) Address() string {
	return c.addr
}

// newHTTPClient is a pooled client that never follows redirects by itself (vault/api
// handles Vault's own redirects) and requires TLS 1.2 or later.
func newHTTPClient() *http.Client {
	hc := cleanhttp.DefaultPooledClient()
	transport := hc.Transport.(*http.Transport)
	transport.TLSHandshakeTimeout = DefaultTimeout
	transport.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	hc.CheckRedirect = func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}
	return hc
}

// checkAddress accepts an absolute http or https URL and returns it without a trailing
// slash. Anything else (a bare host, a typo'd scheme) would otherwise fail later with
// an obscure transport error.
func checkAddress(raw string) (string, error) {
	const fix = "set VAULT_URL or secrets_manager.url to e.g. http://vault.vault.svc:8200"
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return "", fmt.Errorf("the Vault address is empty: %s", fix)
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("the Vault address %q is not an http(s) URL: %s", redactURL(raw), fix)
	}
	if u.User != nil {
		return "", fmt.Errorf("the Vault address %q carries user info, which Vault does "+
			"not use: %s", redactURL(raw), fix)
	}
	return strings.TrimRight(raw, "/"), nil
}

// redactURL hides a password embedded in a URL, should a user have put one there.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		return raw
	}
	return u.Redacted()
}

// configureTLS applies t to apiCfg, after checking the pairs that only work together.
func configureTLS(apiCfg *vaultapi.Config, t TLS) error {
	if (t.ClientCert == "") != (t.ClientKey == "") {
		return fmt.Errorf("a Vault client certificate needs both files: set VAULT_CLIENT_CERT " +
			"and VAULT_CLIENT_KEY, or neither")
	}
	tlsCfg := &vaultapi.TLSConfig{
		CACert:        t.CACert,
		CAPath:        t.CAPath,
		ClientCert:    t.ClientCert,
		ClientKey:     t.ClientKey,
		TLSServerName: t.ServerName,
	}
	if err := apiCfg.ConfigureTLS(tlsCfg); err != nil {
		return fmt.Errorf("loading the Vault TLS files (VAULT_CACERT, VAULT_CAPATH, "+
			"VAULT_CLIENT_CERT, VAULT_CLIENT_KEY): %w", err)
	}
	return nil
}

// currentToken returns the token requests are sent with.
func (c *Client) currentToken() string {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.token
}

// useToken makes token the one every later request carries; the previous one stays
// on the redaction list, since errors about it may still be in flight.
func (c *Client) useToken(token string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.token != "" && c.token != token {
		c.secrets = append(c.secrets, c.token)
	}
	c.token = token
	c.api.SetToken(token)
}

// addSecret puts a credential (e.g. a service-account JWT) on the redaction list.
func (c *Client) addSecret(s string) {
	if s == "" {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.secrets = append(c.secrets, s)
}
