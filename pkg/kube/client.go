package kube

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/rasa-vault-webhook/rasa-vault-webhook/pkg/version"
)

// Client reads objects from one kube-apiserver. It is safe for concurrent use; one
// Client serves all admission reviews of a process over shared connections.
type Client struct {
	host      string
	http      *http.Client
	creds     *credentials
	userAgent string
}

// config is what a Client is built from, whether a kubeconfig or the in-cluster
// environment supplied it. PEM fields hold file contents already read.
type config struct {
	// source names where the settings came from, for error messages.
	source string
	// caField, certField and tokenField name the settings that held the CA, the
	// client certificate and the token file, so errors point at the field to fix.
	caField    string
	certField  string
	tokenField string
	server     string
	caPEM      []byte
	certPEM    []byte
	keyPEM     []byte
	serverName string
	insecure   bool
	token      string
	tokenFile  string
	username   string
	password   string
}

// Load returns a client from the kubeconfig at path, or the in-cluster config when
// path is "".
func Load(path string) (*Client, error) {
	if path == "" {
		return InCluster()
	}
	return FromKubeconfig(path)
}

// Host returns the apiserver's URL, for the start-up log.
func (c *Client) Host() string {
	return c.host
}

// newClient validates cfg and builds the transport and credentials it describes.
func newClient(cfg config) (*Client, error) {
	host, err := normalizeServer(cfg.server)
	if err != nil {
		return nil, fmt.Errorf("%s: server %q: %w", cfg.source, cfg.server, err)
	}

	transport, err := newTransport(cfg)
	if err != nil {
		return nil, err
	}

	creds, err := newCredentials(cfg)
	if err != nil {
		return nil, err
	}

	return &Client{
		host:      host,
		http:      &http.Client{Transport: transport, CheckRedirect: refuseRedirect},
		creds:     creds,
		userAgent: "rasa-vault-webhook/" + version.Version,
	}, nil
}

// refuseRedirect hands a redirect back to the caller as a response instead of
// following it: the apiserver does not redirect these GETs, and following one would
// send our credentials' request somewhere the kubeconfig did not name.
func refuseRedirect(*http.Request, []*http.Request) error {
	return http.ErrUseLastResponse
}

// normalizeServer checks that server is an absolute http(s) URL without query or
// fragment and drops a trailing slash, so request paths can be appended to it. A path
// prefix (an apiserver behind a path-routing gateway) is kept, as client-go keeps it.
func normalizeServer(server string) (string, error) {
	if server == "" {
		return "", fmt.Errorf("is empty; set the apiserver's https:// URL")
	}
	u, err := url.Parse(server)
	if err != nil {
		return "", fmt.Errorf("is not a URL: %w", err)
	}
	if u.Scheme != "https" && u.Scheme != "http" {
		return "", fmt.Errorf("must start with https:// (or http://)")
	}
	if u.Host == "" {
		return "", fmt.Errorf("has no host")
	}
	if u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return "", fmt.Errorf("must not carry a query, fragment or user info")
	}
	return strings.TrimRight(u.String(), "/"), nil
}
