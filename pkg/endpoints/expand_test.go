package endpoints

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func envOf(vars map[string]string) func(string) (string, bool) {
	return func(name string) (string, bool) {
		v, ok := vars[name]
		return v, ok
	}
}

func TestExpandEnvFollowsRasa(t *testing.T) {
	env := envOf(map[string]string{
		"HOST": "vault.svc", "PORT": "8200", "TOKEN": "hvs.x", "EMPTY": "",
		"DOLLAR": "$HOST", "WITH SPACE": "spaced",
	})
	tests := []struct {
		name  string
		in    string
		want  string
		unset []string
		stray bool
	}{
		{"text without ${...} is left alone", "plain", "plain", nil, false},
		{"a lone $NAME is not expanded, as Rasa's resolver needs ${",
			"$HOST", "$HOST", nil, false},
		{"a set variable is replaced", "${TOKEN}", "hvs.x", nil, false},
		{"several variables and text around them are replaced",
			"http://${HOST}:${PORT}/v1", "http://vault.svc:8200/v1", nil, false},
		{"once ${ is present, $NAME is expanded too, as expandvars does",
			"$HOST:${PORT}", "vault.svc:8200", nil, false},
		{"a variable set to empty expands to nothing", "a${EMPTY}b", "ab", nil, false},
		{"a substituted value is not expanded again", "${DOLLAR}", "$HOST", nil, false},
		{"a name with a space works inside braces", "${WITH SPACE}", "spaced", nil, false},
		{"an unset variable is an error naming it", "${NOPE}", "", []string{"NOPE"}, false},
		{"an unset variable inside text is an error too", "http://${NOPE}:8200", "",
			[]string{"NOPE"}, false},
		{"each unset variable is named once", "${A}${B}${A}", "", []string{"A", "B"}, false},
		{"empty braces are never set", "x${}y", "", []string{""}, false},
		{"a lone $ word fails as it does in Rasa", "${HOST} $", "", nil, true},
		{"a newline stops the resolver, as Python's . does not match it",
			"${HOST}\nx", "${HOST}\nx", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ExpandEnv(tt.in, env)
			if tt.unset == nil && !tt.stray {
				if err != nil {
					t.Fatalf("ExpandEnv: %v", err)
				}
				if got != tt.want {
					t.Errorf("ExpandEnv = %q, want %q", got, tt.want)
				}
				return
			}
			var uerr *UnsetVariableError
			if !errors.As(err, &uerr) {
				t.Fatalf("error = %v, want *UnsetVariableError", err)
			}
			if !reflect.DeepEqual(uerr.Names, tt.unset) || uerr.Stray != tt.stray {
				t.Errorf("error = %+v, want names %v stray %v", uerr, tt.unset, tt.stray)
			}
			for _, n := range tt.unset {
				if !strings.Contains(err.Error(), `"`+n+`"`) {
					t.Errorf("error %q does not name %q", err, n)
				}
			}
			if got != "" {
				t.Errorf("ExpandEnv returned %q with an error", got)
			}
		})
	}
}

func TestExpandEnvNeverPrintsValues(t *testing.T) {
	env := envOf(map[string]string{"T": "s3cr3t-value", "D": "$s3cr3t"})
	for _, in := range []string{"${T} ${MISSING}", "${T} $", "${D} ${T} $"} {
		_, err := ExpandEnv(in, env)
		if err == nil {
			t.Fatalf("ExpandEnv(%q) succeeded, want an error", in)
		}
		if strings.Contains(err.Error(), "s3cr3t") {
			t.Errorf("error %q shows a value", err)
		}
	}
}

func TestExpandEnvWithNilLookupTreatsEverythingAsUnset(t *testing.T) {
	if _, err := ExpandEnv("${X}", nil); err == nil {
		t.Fatal("want an error")
	}
}
