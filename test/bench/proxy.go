package main

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"time"
)

// countingProxy is a reverse proxy in front of Vault that counts every request by kind,
// so the load an agent puts on Vault can be read off.
type countingProxy struct {
	addr   string
	server *http.Server
	mu     sync.Mutex
	counts map[string]int
	renews []time.Time
}

// startCountingProxy listens on a free loopback port and forwards to vaultAddr.
func startCountingProxy(vaultAddr string) (*countingProxy, error) {
	target, err := url.Parse(vaultAddr)
	if err != nil {
		return nil, fmt.Errorf("parsing the Vault address %s: %w", vaultAddr, err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listening for the counting proxy: %w", err)
	}
	p := &countingProxy{addr: "http://" + l.Addr().String(), counts: map[string]int{}}
	forward := httputil.NewSingleHostReverseProxy(target)
	p.server = &http.Server{Handler: http.HandlerFunc(
		func(w http.ResponseWriter, r *http.Request) {
			p.record(r)
			forward.ServeHTTP(w, r)
		}), ReadHeaderTimeout: readyTimeout}
	go func() { _ = p.server.Serve(l) }()
	return p, nil
}

// requestKind names a request by what it does to Vault.
func requestKind(r *http.Request) string {
	path := strings.TrimPrefix(r.URL.Path, "/v1/")
	switch {
	case strings.HasSuffix(path, "/renew-self"):
		return "renew"
	case strings.HasSuffix(path, "/lookup-self"):
		return "lookup"
	case strings.HasPrefix(path, "secret/data/"):
		return "read"
	}
	return r.Method + " " + path
}

func (p *countingProxy) record(r *http.Request) {
	kind := requestKind(r)
	p.mu.Lock()
	p.counts[kind]++
	if kind == "renew" {
		p.renews = append(p.renews, time.Now())
	}
	p.mu.Unlock()
}

// snapshot copies the counts so far.
func (p *countingProxy) snapshot() map[string]int {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make(map[string]int, len(p.counts))
	for k, v := range p.counts {
		out[k] = v
	}
	return out
}

// renewInterval is the mean time between the renewals seen so far, or 0 with fewer
// than two: it measures the schedule more finely than a count over a window.
func (p *countingProxy) renewInterval() time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := len(p.renews)
	if n < 2 {
		return 0
	}
	return p.renews[n-1].Sub(p.renews[0]) / time.Duration(n-1)
}

// close stops the proxy.
func (p *countingProxy) close() { _ = p.server.Close() }
