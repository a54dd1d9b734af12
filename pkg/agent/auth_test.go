package agent

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestAuthOptionsAreChecked(t *testing.T) {
	tests := []struct {
		name string
		auth Auth
		want string // "" means valid
	}{
		{"no auth settings mean token auth", Auth{}, ""},
		{"token auth with a file is valid", Auth{Method: AuthToken, TokenFile: "/t"}, ""},
		{"kubernetes auth with a role is valid", Auth{Method: AuthKubernetes, Role: "rasa"}, ""},
		{"kubernetes auth without a role names the flag", Auth{Method: AuthKubernetes},
			"needs --auth-role"},
		{"a role with token auth is a mistake", Auth{Role: "rasa"}, "--auth-method=kubernetes"},
		{"a token file with kubernetes auth is a mistake",
			Auth{Method: AuthKubernetes, Role: "rasa", TokenFile: "/t"}, "--token-file"},
		{"an unknown method lists the known ones", Auth{Method: "approle"},
			"use token or kubernetes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.auth.check()
			if tt.want == "" {
				if err != nil {
					t.Fatalf("check() = %v, want valid", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("check() = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestTokenFileIsReadWithoutShowingIt(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	tests := []struct {
		name    string
		path    string
		want    string
		wantErr string
	}{
		{"a trailing newline is dropped", write("nl", plantedToken+"\n"), plantedToken, ""},
		{"an empty file is refused", write("empty", " \n"), "", "is empty"},
		{"a huge file is refused", write("huge", plantedToken+strings.Repeat("x", 1<<15)),
			"", "larger than"},
		{"a missing file names the flag", filepath.Join(dir, "absent"), "", "--token-file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := readTokenFile(tt.path)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				assertNoLeak(t, "the error", err.Error())
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("readTokenFile = (%d bytes, %v), want the token", len(got), err)
			}
		})
	}
}
