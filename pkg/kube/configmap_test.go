package kube

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
)

const testToken = "s3cr3t-token-value"

// statusBody is a Kubernetes Status as the apiserver sends it with an error code.
func statusBody(code int, reason, message string) string {
	return fmt.Sprintf(`{"kind":"Status","apiVersion":"v1","metadata":{},`+
		`"status":"Failure","message":"%s","reason":"%s","code":%d}`, message, reason, code)
}

func TestGetConfigMapSendsAnAuthenticatedJSONRequestAndDecodesTheAnswer(t *testing.T) {
	srv := startAPIServer(t, func(w http.ResponseWriter, r *http.Request) {
		checks := map[string][2]string{
			"path": {r.URL.EscapedPath(),
				"/api/v1/namespaces/team-a/configmaps/endpoints"},
			"accept":        {r.Header.Get("Accept"), "application/json"},
			"authorization": {r.Header.Get("Authorization"), "Bearer " + testToken},
			"protocol":      {r.Proto, "HTTP/2.0"},
		}
		for name, c := range checks {
			if c[0] != c[1] {
				t.Errorf("%s = %q, want %q", name, c[0], c[1])
			}
		}
		if ua := r.Header.Get("User-Agent"); !strings.HasPrefix(ua, "rasa-vault-webhook/") {
			t.Errorf("User-Agent = %q, want rasa-vault-webhook/<version>", ua)
		}
		_, _ = w.Write([]byte(`{"kind":"ConfigMap","apiVersion":"v1",` +
			`"metadata":{"name":"endpoints","namespace":"team-a"},` +
			`"data":{"endpoints.yml":"a: b"},"Data":{"ignored":"x"}}`))
	})
	c := clientFor(t, srv, "token: "+testToken)

	cm, err := c.GetConfigMap(context.Background(), "team-a", "endpoints")
	if err != nil {
		t.Fatal(err)
	}
	if cm.Name != "endpoints" || cm.Data["endpoints.yml"] != "a: b" {
		t.Errorf("got %s with data %v", cm.Name, cm.Data)
	}
	if _, ok := cm.Data["ignored"]; ok {
		t.Error("decoding is case-insensitive; the apiserver's is not")
	}
}

func TestGetConfigMapErrorsAreRecognisedLikeClientGos(t *testing.T) {
	tests := []struct {
		name   string
		code   int
		body   string
		is     func(error) bool
		inText []string
	}{
		{"a Status 404 is NotFound", 404,
			statusBody(404, "NotFound", `configmaps \"endpoints\" not found`),
			apierrors.IsNotFound, []string{`configmaps "endpoints" not found`}},
		{"a Status 403 is Forbidden", 403,
			statusBody(403, "Forbidden", "user cannot get resource configmaps"),
			apierrors.IsForbidden, []string{"user cannot get resource configmaps"}},
		{"a plain-text 500 is an internal error quoting the body", 500, "etcd on fire",
			apierrors.IsInternalError, []string{"500", "etcd on fire"}},
		{"a plain-text 404 (from a proxy) is still NotFound", 404, "<html>nope</html>",
			apierrors.IsNotFound, []string{"404", "configmaps endpoints"}},
		{"a 401 never shows the token", 401, "Unauthorized",
			apierrors.IsUnauthorized, []string{"401"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := startAPIServer(t, func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(tt.code)
				_, _ = w.Write([]byte(tt.body))
			})
			c := clientFor(t, srv, "token: "+testToken)

			_, err := c.GetConfigMap(context.Background(), "team-a", "endpoints")
			if !tt.is(err) {
				t.Fatalf("error %v (%T) has the wrong reason", err, err)
			}
			for _, want := range tt.inText {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not mention %q", err, want)
				}
			}
			if strings.Contains(err.Error(), testToken) {
				t.Errorf("error %q contains the token", err)
			}
		})
	}
}

func TestGetConfigMapDoesNotFollowRedirects(t *testing.T) {
	var requests atomic.Int32
	srv := startAPIServer(t, func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		http.Redirect(w, r, "/elsewhere", http.StatusFound)
	})
	c := clientFor(t, srv, "token: "+testToken)

	_, err := c.GetConfigMap(context.Background(), "team-a", "endpoints")
	if err == nil || !strings.Contains(err.Error(), "302") {
		t.Fatalf("got %v, want an error naming HTTP 302", err)
	}
	if n := requests.Load(); n != 1 {
		t.Errorf("%d requests reached the server, want 1", n)
	}
}

func TestGetConfigMapRefusesAnOversizedBody(t *testing.T) {
	srv := startAPIServer(t, func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(`{"data":{"x":"`))
		_, _ = w.Write([]byte(strings.Repeat("a", maxResponseBytes)))
		_, _ = w.Write([]byte(`"}}`))
	})
	c := clientFor(t, srv, "token: "+testToken)

	_, err := c.GetConfigMap(context.Background(), "team-a", "big")
	if !errors.Is(err, errBodyTooLarge) || !strings.Contains(err.Error(), "4 MiB") {
		t.Fatalf("got %v, want the 4 MiB limit named", err)
	}
}

func TestGetConfigMapStopsWhenTheContextIsCancelled(t *testing.T) {
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	srv := startAPIServer(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	})
	c := clientFor(t, srv, "token: "+testToken)

	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := c.GetConfigMap(ctx, "team-a", "slow")
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("got %v, want context.DeadlineExceeded", err)
	}
	if elapsed := time.Since(start); elapsed > 5*time.Second {
		t.Errorf("returned after %v, long after the deadline", elapsed)
	}
}

func TestGetConfigMapRejectsNamesThatWouldChangeThePath(t *testing.T) {
	var requests atomic.Int32
	srv := startAPIServer(t, func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
	})
	c := clientFor(t, srv, "token: "+testToken)

	tests := []struct{ namespace, name, want string }{
		{"", "endpoints", "namespace is empty"},
		{"team-a", "", "ConfigMap name is empty"},
		{"..", "endpoints", `namespace ".." is not a valid name`},
		{"team-a", "a/b", `ConfigMap name "a/b" may not contain`},
		{"team-a", "a%2F", `ConfigMap name "a%2F" may not contain`},
	}
	for _, tt := range tests {
		_, err := c.GetConfigMap(context.Background(), tt.namespace, tt.name)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("GetConfigMap(%q, %q) = %v, want %q", tt.namespace, tt.name, err, tt.want)
		}
	}
	if n := requests.Load(); n != 0 {
		t.Errorf("%d requests reached the server", n)
	}
}

func TestServerVersionReadsSlashVersion(t *testing.T) {
	srv := startAPIServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/version" {
			http.NotFound(w, r)
			return
		}
		_, _ = w.Write([]byte(`{"major":"1","minor":"37","gitVersion":"v1.37.2"}`))
	})
	c := clientFor(t, srv, "token: "+testToken)

	info, err := c.ServerVersion(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if info.GitVersion != "v1.37.2" || info.Minor != "37" {
		t.Errorf("got %+v", info)
	}
}

func TestBasicAuthIsSentWhenConfigured(t *testing.T) {
	srv := startAPIServer(t, func(w http.ResponseWriter, r *http.Request) {
		user, pass, ok := r.BasicAuth()
		if !ok || user != "admin" || pass != "pw" {
			t.Errorf("basic auth = %q %q %v", user, pass, ok)
		}
		_, _ = w.Write([]byte(`{"gitVersion":"v1"}`))
	})
	c := clientFor(t, srv, "username: admin\npassword: pw")

	if _, err := c.ServerVersion(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestTheTransportIgnoresProxyEnvironment(t *testing.T) {
	srv := startAPIServer(t, func(w http.ResponseWriter, r *http.Request) {})
	c := clientFor(t, srv, "token: "+testToken)

	tr := c.http.Transport.(*http.Transport)
	if tr.Proxy != nil {
		t.Error("the transport honours proxy settings; the apiserver must be reached directly")
	}
	if !tr.ForceAttemptHTTP2 || tr.MaxIdleConnsPerHost < 64 {
		t.Errorf("HTTP/2 %v, idle conns per host %d", tr.ForceAttemptHTTP2, tr.MaxIdleConnsPerHost)
	}
}
