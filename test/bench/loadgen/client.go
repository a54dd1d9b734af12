package loadgen

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net/http"
	"sync/atomic"
	"time"
)

// requestTimeout bounds one request; the apiserver's own webhook timeout is at most 30 s
// and a benchmark request slower than this is an error worth seeing, not a sample.
const requestTimeout = 10 * time.Second

// Target is one HTTPS endpoint and the body posted to it.
type Target struct {
	// URL is the endpoint, e.g. https://127.0.0.1:9443/mutate-pod.
	URL string
	// Body is posted with Content-Type application/json on every request, unless
	// Bodies is set.
	Body []byte
	// Bodies, when not empty, are posted in turn instead of Body.
	Bodies [][]byte
	// Accept reports whether a 200 answer's body is a correct answer (e.g. it carries
	// a patch); nil accepts every 200.
	Accept func(body []byte) bool

	client *http.Client
	// tlsConfig is the client's TLS configuration, which the open loop's lanes share.
	tlsConfig *tls.Config
	// sent counts the requests, to take Bodies in turn.
	sent atomic.Uint64
}

// NewTarget makes a Target whose client trusts only caPEM and keeps up to conns
// connections alive, over HTTP/1.1 as a plain net/http client would.
func NewTarget(url string, body, caPEM []byte, conns int) (*Target, error) {
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(caPEM) {
		return nil, fmt.Errorf("loading the CA certificate for %s: no PEM certificate", url)
	}
	tlsConfig := &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	transport := &http.Transport{
		TLSClientConfig:     tlsConfig.Clone(),
		MaxIdleConns:        conns,
		MaxIdleConnsPerHost: conns,
		MaxConnsPerHost:     0,
		IdleConnTimeout:     time.Minute,
	}
	return &Target{URL: url, Body: body, tlsConfig: tlsConfig, client: &http.Client{
		Transport: transport, Timeout: requestTimeout,
	}}, nil
}

// Close drops the target's idle connections.
func (t *Target) Close() { t.client.CloseIdleConnections() }

// Do posts the body once and returns the answer's body, or an error for a failed
// request, a status other than 200, or an answer Accept rejects.
func (t *Target) Do(ctx context.Context) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.URL,
		bytes.NewReader(t.next()))
	if err != nil {
		return nil, fmt.Errorf("building request to %s: %w", t.URL, err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := t.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("posting to %s: %w", t.URL, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("reading the answer of %s: %w", t.URL, err)
	}
	return body, t.check(resp.StatusCode, body)
}

// next returns the body to post: Body, or the next of Bodies in turn.
func (t *Target) next() []byte {
	if n := uint64(len(t.Bodies)); n > 0 {
		return t.Bodies[(t.sent.Add(1)-1)%n]
	}
	return t.Body
}

// check returns an error for a status other than 200 or an answer Accept rejects.
func (t *Target) check(status int, body []byte) error {
	if status != http.StatusOK {
		return fmt.Errorf("%s answered HTTP %d: %.200s", t.URL, status, body)
	}
	if t.Accept != nil && !t.Accept(body) {
		return fmt.Errorf("%s answered an unexpected review: %.300s", t.URL, body)
	}
	return nil
}
