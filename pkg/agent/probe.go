package agent

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"
)

// Probe checks the agent's health endpoint, as the kubelet's exec probe does through
// `webhook agent probe` in an image without a shell or curl.
type Probe struct {
	// Addr is the agent's --health-addr; DefaultHealthAddr when empty.
	Addr string
	// Path is PathStarted or PathReady; PathReady when empty.
	Path string
	// Timeout bounds the request; one second when zero, the kubelet's default probe
	// timeout.
	Timeout time.Duration
}

// maxProbeBody caps the answer read; the real one is a few hundred bytes.
const maxProbeBody = 64 << 10

// Check asks the endpoint and returns a one-line summary. The error says why the probe
// fails: no answer (the agent is not running) or an unhealthy state with its reason.
func (p Probe) Check(ctx context.Context) (string, error) {
	addr, path, timeout := p.Addr, p.Path, p.Timeout
	if addr == "" {
		addr = DefaultHealthAddr
	}
	if path == "" {
		path = PathReady
	}
	if path != PathReady && path != PathStarted {
		return "", fmt.Errorf("probe path %q is not %s or %s", path, PathStarted, PathReady)
	}
	if timeout <= 0 {
		timeout = time.Second
	}
	if err := checkLoopback(addr); err != nil {
		return "", err
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+path, nil)
	if err != nil {
		return "", fmt.Errorf("building the probe request: %w", err)
	}
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := client.Do(req)
	if err != nil {
		return "", fmt.Errorf("the agent's health endpoint at %s does not answer: %w", addr,
			err)
	}
	defer func() { _ = resp.Body.Close() }()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxProbeBody))
	if err != nil {
		return "", fmt.Errorf("reading the answer of %s: %w", addr, err)
	}
	var body healthBody
	if err := json.Unmarshal(data, &body); err != nil {
		return "", fmt.Errorf("the answer of %s%s is not the agent's health JSON: %w",
			addr, path, err)
	}
	summary := fmt.Sprintf("ready=%t healthy=%t", body.Ready, body.Healthy)
	if body.Reason != "" {
		summary += " reason: " + body.Reason
	}
	if resp.StatusCode != http.StatusOK {
		return summary, fmt.Errorf("agent not %s: %s", probeWord(path), summary)
	}
	return summary, nil
}

// probeWord names what a path checks, for the failure message.
func probeWord(path string) string {
	if path == PathStarted {
		return "started"
	}
	return "ready"
}
