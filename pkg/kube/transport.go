package kube

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"net/http"
	"time"
)

// Connection settings. The dial, handshake and idle values are client-go's defaults
// (k8s.io/apimachinery/pkg/util/net.SetTransportDefaults); the pings are the HTTP/2
// health check client-go added so a silently dead connection to the apiserver is
// noticed in seconds instead of after the kernel's TCP timeout (~15 minutes). Ours
// are a third of client-go's 30 s + 15 s: every review fails while the dead
// connection is in use, so pods are refused for at most about 15 s, and a ping every
// 10 s of silence costs nothing.
const (
	dialTimeout         = 30 * time.Second
	dialKeepAlive       = 30 * time.Second
	tlsHandshakeTimeout = 10 * time.Second
	idleConnTimeout     = 90 * time.Second
	http2ReadIdle       = 10 * time.Second
	http2PingTimeout    = 5 * time.Second
	// maxIdleConnsPerHost matters only if the apiserver falls back to HTTP/1.1, where
	// each concurrent review needs its own connection; 64 covers a busy webhook.
	maxIdleConnsPerHost = 64
)

// newTransport builds the connection pool for cfg's apiserver. Proxy is nil on
// purpose: the apiserver is reached directly, whatever HTTPS_PROXY says.
func newTransport(cfg config) (*http.Transport, error) {
	tlsConfig, err := newTLSConfig(cfg)
	if err != nil {
		return nil, err
	}
	dialer := &net.Dialer{Timeout: dialTimeout, KeepAlive: dialKeepAlive}
	return &http.Transport{
		Proxy:               nil,
		DialContext:         dialer.DialContext,
		TLSClientConfig:     tlsConfig,
		TLSHandshakeTimeout: tlsHandshakeTimeout,
		IdleConnTimeout:     idleConnTimeout,
		MaxIdleConnsPerHost: maxIdleConnsPerHost,
		ForceAttemptHTTP2:   true,
		HTTP2: &http.HTTP2Config{
			SendPingTimeout: http2ReadIdle,
			PingTimeout:     http2PingTimeout,
		},
	}, nil
}

// newTLSConfig trusts cfg's CA (the system roots when there is none), presents its
// client certificate if any, and skips verification only when cfg asks for it.
func newTLSConfig(cfg config) (*tls.Config, error) {
	tlsConfig := &tls.Config{
		MinVersion:         tls.VersionTLS12,
		ServerName:         cfg.serverName,
		InsecureSkipVerify: cfg.insecure, //nolint:gosec // only when the kubeconfig says so
	}

	if len(cfg.caPEM) > 0 {
		if cfg.insecure {
			return nil, fmt.Errorf("%s: %s and insecure-skip-tls-verify are both "+
				"set; remove one of them", cfg.source, cfg.caField)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(cfg.caPEM) {
			return nil, fmt.Errorf("%s: %s: no PEM certificate found; give a "+
				"PEM-encoded CA bundle", cfg.source, cfg.caField)
		}
		tlsConfig.RootCAs = pool
	}

	if len(cfg.certPEM) > 0 || len(cfg.keyPEM) > 0 {
		if len(cfg.certPEM) == 0 || len(cfg.keyPEM) == 0 {
			return nil, fmt.Errorf("%s: %s: the certificate and the key must be "+
				"set together; set both or neither", cfg.source, cfg.certField)
		}
		pair, err := tls.X509KeyPair(cfg.certPEM, cfg.keyPEM)
		if err != nil {
			return nil, fmt.Errorf("%s: %s: %w; give a matching PEM certificate "+
				"and key", cfg.source, cfg.certField, err)
		}
		tlsConfig.Certificates = []tls.Certificate{pair}
	}
	return tlsConfig, nil
}
