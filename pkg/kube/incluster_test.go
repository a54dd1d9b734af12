package kube

import (
	"context"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// inClusterEnv points InCluster at srv with a mounted-looking directory holding the
// CA and token, restoring everything when the test ends. Tests using it are serial.
func inClusterEnv(t *testing.T, host, port string, files map[string]string) {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		writeFile(t, dir, name, content)
	}
	old := serviceAccountDir
	serviceAccountDir = dir
	t.Cleanup(func() { serviceAccountDir = old })
	t.Setenv("KUBERNETES_SERVICE_HOST", host)
	t.Setenv("KUBERNETES_SERVICE_PORT", port)
}

func TestInClusterUsesTheServiceAccountMount(t *testing.T) {
	srv := startAPIServer(t, func(w http.ResponseWriter, r *http.Request) {
		if got := r.Header.Get("Authorization"); got != "Bearer sa-token" {
			t.Errorf("Authorization = %q", got)
		}
		_, _ = w.Write([]byte(`{"gitVersion":"v1.37.2"}`))
	})
	u, err := url.Parse(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	host, port, _ := net.SplitHostPort(u.Host)
	inClusterEnv(t, host, port, map[string]string{
		"ca.crt": string(caPEM(srv)), "token": "sa-token\n",
	})

	c, err := Load("")
	if err != nil {
		t.Fatal(err)
	}
	if c.Host() != srv.URL {
		t.Errorf("Host() = %q, want %q", c.Host(), srv.URL)
	}
	if _, err := c.ServerVersion(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestInClusterBracketsAnIPv6Host(t *testing.T) {
	inClusterEnv(t, "fd00::1", "443", map[string]string{
		"ca.crt": string(caPEM(startAPIServer(t, nil))), "token": "t",
	})
	c, err := InCluster()
	if err != nil {
		t.Fatal(err)
	}
	if c.Host() != "https://[fd00::1]:443" {
		t.Errorf("Host() = %q", c.Host())
	}
}

func TestInClusterErrorsSayWhatToDo(t *testing.T) {
	ca := string(caPEM(startAPIServer(t, nil)))
	tests := []struct {
		name       string
		host, port string
		files      map[string]string
		want       string
	}{
		{"outside a pod", "", "", nil, "pass --kubeconfig outside a cluster"},
		{"no CA mounted", "127.0.0.1", "443", map[string]string{"token": "t"},
			"ca.crt"},
		{"no token mounted", "127.0.0.1", "443", map[string]string{"ca.crt": ca},
			"token"},
		{"a CA that is not PEM", "127.0.0.1", "443",
			map[string]string{"ca.crt": "junk", "token": "t"}, "no PEM certificate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inClusterEnv(t, tt.host, tt.port, tt.files)
			_, err := InCluster()
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want an error mentioning %q", err, tt.want)
			}
			if !strings.HasPrefix(err.Error(), "in-cluster config") {
				t.Errorf("error %q does not say it came from the in-cluster config", err)
			}
		})
	}
}
