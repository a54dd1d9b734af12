package kube

import (
	"fmt"
	"net/http"
)

// credentials authenticate each request: a bearer token (fixed or from a file) or
// basic auth. A client certificate, if any, lives in the TLS config instead.
type credentials struct {
	token     string
	tokenFile *fileToken
	username  string
	password  string
}

// newCredentials reads cfg's token file once, so a missing one fails at start-up. A
// token file wins over a fixed token, as in client-go, because the file is the one
// that is kept fresh.
func newCredentials(cfg config) (*credentials, error) {
	creds := &credentials{token: cfg.token, username: cfg.username, password: cfg.password}
	if cfg.tokenFile != "" {
		file, err := newFileToken(cfg.tokenFile)
		if err != nil {
			return nil, fmt.Errorf("%s: %s: %w", cfg.source, cfg.tokenField, err)
		}
		creds.tokenFile = file
	}
	return creds, nil
}

// apply sets the Authorization header on req, if these credentials use one.
func (c *credentials) apply(req *http.Request) error {
	token := c.token
	if c.tokenFile != nil {
		var err error
		if token, err = c.tokenFile.Token(); err != nil {
			return err
		}
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
		return nil
	}
	if c.username != "" || c.password != "" {
		req.SetBasicAuth(c.username, c.password)
	}
	return nil
}
