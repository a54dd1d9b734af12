package kube

import (
	"encoding/base64"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// startAPIServer serves handler over TLS with HTTP/2 on 127.0.0.1 until the test ends.
func startAPIServer(t *testing.T, handler http.HandlerFunc) *httptest.Server {
	t.Helper()
	srv := httptest.NewUnstartedServer(handler)
	srv.EnableHTTP2 = true
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv
}

// caPEM returns the PEM of the certificate srv presents.
func caPEM(srv *httptest.Server) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
}

// b64 encodes data as a kubeconfig's *-data fields hold it.
func b64(data []byte) string {
	return base64.StdEncoding.EncodeToString(data)
}

// kubeconfigYAML is a one-context kubeconfig whose cluster and user entries are
// given as indented YAML lines, e.g. "server: https://...".
func kubeconfigYAML(cluster, user string) string {
	indent := func(s string) string {
		return "    " + strings.ReplaceAll(strings.TrimSpace(s), "\n", "\n    ")
	}
	return `apiVersion: v1
kind: Config
current-context: test
contexts:
- name: test
  context:
    cluster: c
    user: u
clusters:
- name: c
  cluster:
` + indent(cluster) + `
users:
- name: u
  user:
` + indent(user) + "\n"
}

// writeFile writes content to dir/name and returns the path.
func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// clientFor returns a client trusting srv and authenticating with the given user
// YAML, built through a kubeconfig so the tests cover the whole path.
func clientFor(t *testing.T, srv *httptest.Server, user string) *Client {
	t.Helper()
	cluster := "server: " + srv.URL + "\ncertificate-authority-data: " + b64(caPEM(srv))
	path := writeFile(t, t.TempDir(), "kubeconfig", kubeconfigYAML(cluster, user))
	c, err := FromKubeconfig(path)
	if err != nil {
		t.Fatal(err)
	}
	return c
}
