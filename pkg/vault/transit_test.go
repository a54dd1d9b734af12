package vault

import (
	"context"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
)

func TestIsTransitCiphertextUsesRasasPrefixRule(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want bool
	}{
		{"version one ciphertext matches", "vault:v1:AbCd==", true},
		{"a two-digit version matches", "vault:v12:AbCd==", true},
		{"an empty body after the prefix still matches", "vault:v3:", true},
		{"a plain password does not match", "hunter2", false},
		{"a missing version number does not match", "vault:v:AbCd", false},
		{"a letter version does not match", "vault:vx:AbCd", false},
		{"the prefix must be at the start", " vault:v1:AbCd", false},
		{"upper case does not match", "VAULT:v1:AbCd", false},
		{"an empty value does not match", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := IsTransitCiphertext(tt.in); got != tt.want {
				t.Errorf("IsTransitCiphertext(%q) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

func TestTrimLikePythonTrimsWhatStripTrims(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"a trailing newline goes", "secret\n", "secret"},
		{"spaces and tabs on both sides go", " \t secret \t", "secret"},
		{"inner white space stays", "two words", "two words"},
		{"ASCII separators go like in Python", "\x1csecret\x1f", "secret"},
		{"a no-break space goes", "\u00a0secret\u00a0", "secret"},
		{"only white space becomes empty", " \n\t", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := TrimLikePython(tt.in); got != tt.want {
				t.Errorf("TrimLikePython(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestDecryptPostsTheCiphertextAndTrimsThePlaintext(t *testing.T) {
	plain := base64.StdEncoding.EncodeToString([]byte("  redis-PLANTED-pw\n"))
	f := newFakeVault(t, map[string]route{
		"PUT /v1/transit/decrypt/rasa-tracker": {200, `{"data":{"plaintext":"` + plain + `"}}`},
	})
	c := newTestClient(t, f.URL, "team-a")

	got, err := c.Decrypt(context.Background(), "transit", "rasa-tracker", "vault:v1:abc")
	if err != nil {
		t.Fatalf("Decrypt: %v", err)
	}
	if got != "redis-PLANTED-pw" {
		t.Errorf("Decrypt = %q, want the trimmed plaintext", got)
	}
	req := f.seen()[0]
	if req.Header.Get("X-Vault-Namespace") != "team-a" {
		t.Error("decrypt request lacks the namespace header")
	}
	if body := f.body(0); !strings.Contains(body, `"ciphertext":"vault:v1:abc"`) {
		t.Errorf("decrypt body = %s, want the ciphertext", body)
	}
}

func TestDecryptFailuresNameThePathNotTheValue(t *testing.T) {
	tests := []struct {
		name     string
		rt       route
		wantKind error
		wantMsg  string
	}{
		{"a 403 says which capability is missing", route{403, `{"errors":["permission denied"]}`},
			ErrPermissionDenied, "lacks update on this path"},
		{"a 400 passes Vault's reason on", route{400, `{"errors":["invalid ciphertext"]}`},
			nil, "invalid ciphertext"},
		{"plaintext that is not base64 is refused", route{200,
			`{"data":{"plaintext":"%%%not-base64"}}`}, nil, "not base64"},
		{"plaintext that is not UTF-8 is refused", route{200,
			`{"data":{"plaintext":"` + base64.StdEncoding.EncodeToString([]byte{0xff, 0xfe}) +
				`"}}`}, nil, "not UTF-8"},
		{"an answer without plaintext is refused", route{200, `{"data":{}}`}, nil,
			"no plaintext"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeVault(t, map[string]route{"PUT /v1/transit/decrypt/k": tt.rt})
			c := newTestClient(t, f.URL, "")

			_, err := c.Decrypt(context.Background(), "transit", "k", "vault:v1:PLANTEDcipher")
			if err == nil {
				t.Fatal("Decrypt succeeded, want an error")
			}
			if tt.wantKind != nil && !errors.Is(err, tt.wantKind) {
				t.Errorf("err = %v, want kind %v", err, tt.wantKind)
			}
			if !strings.Contains(err.Error(), tt.wantMsg) ||
				!strings.Contains(err.Error(), "transit/decrypt/k") {
				t.Errorf("error %q lacks %q or the path", err, tt.wantMsg)
			}
			assertNoLeak(t, err.Error(), "PLANTEDcipher")
		})
	}
}
