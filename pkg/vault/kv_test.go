package vault

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

const kvPath = "/v1/secret/data/rasa-secrets"

func TestFieldStringRendersScalarsAndRefusesStructures(t *testing.T) {
	tests := []struct {
		name    string
		in      any
		want    string
		wantErr string
	}{
		{"a string stays as it is", "p@ss word", "p@ss word", ""},
		{"an empty string stays empty", "", "", ""},
		{"a JSON number keeps its literal text", json.Number("1.50"), "1.50", ""},
		{"a huge JSON number keeps every digit", json.Number("12345678901234567890"),
			"12345678901234567890", ""},
		{"true becomes the word true", true, "true", ""},
		{"false becomes the word false", false, "false", ""},
		{"a float64 prints without exponent", float64(1234567), "1234567", ""},
		{"null is refused", nil, "", "null"},
		{"an object is refused", map[string]any{"a": "b"}, "", "object"},
		{"an array is refused", []any{"a"}, "", "array"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := FieldString(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("FieldString(%v) error = %v, want one naming %q", tt.in, err,
						tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("FieldString(%v) = %q, %v; want %q", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestReadSecretReturnsEveryFieldAsText(t *testing.T) {
	f := newFakeVault(t, map[string]route{
		"GET " + kvPath: {200, `{"data":{"data":{"sql_store_username":"rasa",
			"sql_store_password":"s3cr3t-PLANTED","port":5432,"ratio":0.10,"tls":true},
			"metadata":{"version":3}}}`},
	})
	c := newTestClient(t, f.URL, "team-a")

	got, err := c.ReadSecret(context.Background(), "secret", "rasa-secrets")
	if err != nil {
		t.Fatalf("ReadSecret: %v", err)
	}
	want := map[string]string{"sql_store_username": "rasa", "sql_store_password": "s3cr3t-PLANTED",
		"port": "5432", "ratio": "0.10", "tls": "true"}
	if len(got.Fields) != len(want) || len(got.Unsupported) != 0 {
		t.Errorf("got %d fields and %v unsupported, want %d and none", len(got.Fields),
			got.Unsupported, len(want))
	}
	for k, v := range want {
		if got.Fields[k] != v {
			t.Errorf("field %s = %q, want %q", k, got.Fields[k], v)
		}
	}

	reqs := f.seen()
	if len(reqs) != 1 {
		t.Fatalf("saw %d requests, want exactly 1 (no retries inside the client)", len(reqs))
	}
	if h := reqs[0].Header.Get("X-Vault-Token"); h != plantedToken {
		t.Errorf("X-Vault-Token header = %q, want the configured token", h)
	}
	if h := reqs[0].Header.Get("X-Vault-Namespace"); h != "team-a" {
		t.Errorf("X-Vault-Namespace header = %q, want team-a", h)
	}
}

func TestReadSecretIgnoresTheLibrarysOwnEnvironmentVariables(t *testing.T) {
	f := newFakeVault(t, map[string]route{
		"GET " + kvPath: {200, `{"data":{"data":{"a":"b"}}}`},
	})
	t.Setenv("VAULT_ADDR", closedAddr(t))
	t.Setenv("VAULT_TOKEN", "env-token-should-not-be-used")
	t.Setenv("VAULT_NAMESPACE", "env-namespace")
	t.Setenv("VAULT_MAX_RETRIES", "7")
	c := newTestClient(t, f.URL, "")

	if _, err := c.ReadSecret(context.Background(), "secret", "rasa-secrets"); err != nil {
		t.Fatalf("ReadSecret: %v", err)
	}
	req := f.seen()[0]
	if h := req.Header.Get("X-Vault-Token"); h != plantedToken {
		t.Errorf("X-Vault-Token = %q, want the configured token, not VAULT_TOKEN", h)
	}
	if h := req.Header.Get("X-Vault-Namespace"); h != "" {
		t.Errorf("X-Vault-Namespace = %q, want none when the config has no namespace", h)
	}
}

func TestReadSecretSetsAsideFieldsThatAreNotScalars(t *testing.T) {
	f := newFakeVault(t, map[string]route{
		"GET " + kvPath: {200, `{"data":{"data":{"sql_store_password":"s3cr3t-PLANTED",
			"meta":{"owner":"inner-PLANTED"},"tags":["tag-PLANTED"],"gone":null}}}`},
	})
	c := newTestClient(t, f.URL, "")

	got, err := c.ReadSecret(context.Background(), "secret", "rasa-secrets")
	if err != nil {
		t.Fatalf("ReadSecret = %v, want the secret: only a reference to such a field is "+
			"an error", err)
	}
	if got.Fields["sql_store_password"] != "s3cr3t-PLANTED" || len(got.Fields) != 1 {
		t.Errorf("Fields has %d entries, want only sql_store_password", len(got.Fields))
	}
	want := map[string]string{"meta": "object", "tags": "array", "gone": "null"}
	if len(got.Unsupported) != len(want) {
		t.Errorf("Unsupported = %v, want %v", got.Unsupported, want)
	}
	for name, typ := range want {
		if got.Unsupported[name] != typ {
			t.Errorf("Unsupported[%q] = %q, want %q", name, got.Unsupported[name], typ)
		}
	}
	if names := strings.Join(got.Names(), ","); names != "gone,meta,sql_store_password,tags" {
		t.Errorf("Names() = %s, want every field sorted", names)
	}
	assertNoLeak(t, fmt.Sprint(got.Unsupported), "inner-PLANTED", "tag-PLANTED")
}

func TestReadSecretClassifiesFailures(t *testing.T) {
	tests := []struct {
		name      string
		rt        route
		wantKind  error
		wantInMsg []string
	}{
		{"a 403 is permission denied with the fix", route{403,
			`{"errors":["permission denied"]}`}, ErrPermissionDenied, []string{
			"permission denied reading secret/data/rasa-secrets: the token is invalid, " +
				"expired, or its policy lacks read on this path"}},
		{"an empty 404 is not found with the put command", route{404, `{"errors":[]}`},
			ErrNotFound, []string{"no secret at secret/data/rasa-secrets: create it with " +
				"vault kv put -mount=secret rasa-secrets"}},
		{"a deleted latest version is not found", route{404, `{"data":{"data":null,
			"metadata":{"deletion_time":"2026-01-01T00:00:00Z","version":2}}}`},
			ErrNotFound, []string{"deleted or destroyed"}},
		{"a sealed server is worth a retry", route{503, `{"errors":["Vault is sealed"]}`},
			ErrUnreachable, []string{"503", "Vault is sealed"}},
		{"a 500 is another failure with Vault's words", route{500,
			`{"errors":["internal error"]}`}, nil, []string{"500", "internal error"}},
		{"a KV version 1 answer is explained", route{200, `{"data":{"a":"b"}}`}, nil,
			[]string{"KV version 2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeVault(t, map[string]route{"GET " + kvPath: tt.rt})
			c := newTestClient(t, f.URL, "")

			_, err := c.ReadSecret(context.Background(), "secret", "rasa-secrets")
			if err == nil {
				t.Fatal("ReadSecret succeeded, want an error")
			}
			for _, kind := range []error{ErrPermissionDenied, ErrNotFound, ErrUnreachable} {
				got, want := errors.Is(err, kind), kind == tt.wantKind
				if got != want {
					t.Errorf("errors.Is(err, %v) = %v, want %v; err = %v", kind, got, want, err)
				}
			}
			for _, s := range tt.wantInMsg {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not contain %q", err, s)
				}
			}
			assertNoLeak(t, err.Error(), "s3cr3t-PLANTED", "inner")
		})
	}
}

func TestReadSecretOnAClosedPortIsUnreachable(t *testing.T) {
	c := newTestClient(t, closedAddr(t), "")
	start := time.Now()
	_, err := c.ReadSecret(context.Background(), "secret", "rasa-secrets")
	if !errors.Is(err, ErrUnreachable) || !IsRetryable(err) {
		t.Fatalf("err = %v, want ErrUnreachable", err)
	}
	if time.Since(start) > 5*time.Second {
		t.Errorf("took %s; a refused connection must fail at once", time.Since(start))
	}
	if !strings.Contains(err.Error(), "cannot reach Vault at") {
		t.Errorf("error %q does not say Vault cannot be reached", err)
	}
	assertNoLeak(t, err.Error())
}

func TestReadSecretGivesUpAfterTheRequestTimeout(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(slowHandler(release))
	defer srv.Close()
	defer close(release)
	c := newTestClient(t, srv.URL, "", WithTimeout(200*time.Millisecond))

	start := time.Now()
	_, err := c.ReadSecret(context.Background(), "secret", "rasa-secrets")
	if !errors.Is(err, ErrUnreachable) {
		t.Fatalf("err = %v, want ErrUnreachable after the timeout", err)
	}
	if elapsed := time.Since(start); elapsed > 3*time.Second {
		t.Errorf("took %s, want about the 200ms timeout", elapsed)
	}
}
