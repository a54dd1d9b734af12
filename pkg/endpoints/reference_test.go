package endpoints

import (
	"reflect"
	"strings"
	"testing"
)

func TestReferencesAreFoundEverywhereButSecretsManager(t *testing.T) {
	in := `secrets_manager:
  type: vault
  token:
    source: secrets_manager.vault
    secret_key: not_looked_for
tracker_store:
  type: SQL
  username: {source: secrets_manager.vault, secret_key: user}
  password:
    source: secrets_manager.vault
    secret_key: pass
    transit_key: rasa-tracker
lock_store:
  password:
    source: secrets_manager.vault
    secret_key: redis
event_broker:
  queues:
    - name: q
      password: {source: secrets_manager.vault, secret_key: pika}
custom:
  source: not_a_vault_reference
  password: plain
`
	doc, err := Parse([]byte(in))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	want := []Reference{
		{Path: "tracker_store.username", SecretKey: "user", Line: 8},
		{Path: "tracker_store.password", SecretKey: "pass", TransitKey: "rasa-tracker", Line: 9},
		{Path: "lock_store.password", SecretKey: "redis", Line: 14},
		{Path: "event_broker.queues[0].password", SecretKey: "pika", Line: 20},
	}
	if got := doc.References(); !reflect.DeepEqual(got, want) {
		t.Errorf("References =\n%+v\nwant\n%+v", got, want)
	}
	// The token reference is a problem of secrets_manager's shape, not a reference.
	p := doc.Problems()
	if len(p) != 1 || p[0].Field != "secrets_manager.token" {
		t.Errorf("Problems = %v, want only secrets_manager.token", p)
	}
}

func TestReferencesThroughAliasesResolveTheSame(t *testing.T) {
	in := `x-vault-password: &pw
  source: secrets_manager.vault
  secret_key: shared
x-store: &store
  type: redis
  password: *pw
tracker_store: *store
lock_store:
  <<: *store
  db: 1
`
	doc, err := Parse([]byte(in))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	var paths []string
	for _, r := range doc.References() {
		if r.SecretKey != "shared" {
			t.Errorf("%s: SecretKey = %q, want shared", r.Path, r.SecretKey)
		}
		paths = append(paths, r.Path)
	}
	want := []string{"x-vault-password", "x-store.password", "tracker_store.password",
		"lock_store.<<.password"}
	if !reflect.DeepEqual(paths, want) {
		t.Errorf("paths = %v, want %v", paths, want)
	}
	if p := doc.Problems(); len(p) != 0 {
		t.Errorf("Problems = %v, want none", p)
	}
}

func TestProblemsNameTheFieldAndTheFix(t *testing.T) {
	tests := []struct {
		name  string
		in    string
		field string
		says  []string
	}{
		{"a source other than vault is refused",
			"tracker_store:\n  password: {source: secrets_manager.aws, secret_key: k}\n",
			"tracker_store.password.source", []string{"secrets_manager.aws", "only",
				"source: secrets_manager.vault"}},
		{"a capitalised Vault source is refused, as Rasa compares exactly",
			"tracker_store:\n  password: {source: secrets_manager.Vault, secret_key: k}\n",
			"tracker_store.password.source", []string{"secrets_manager.vault"}},
		{"a missing secret_key is named",
			"tracker_store:\n  password:\n    source: secrets_manager.vault\n",
			"tracker_store.password.secret_key", []string{"missing", "secret_key:"}},
		{"an empty secret_key is named",
			"tracker_store:\n  password:\n    source: secrets_manager.vault\n    secret_key:\n",
			"tracker_store.password.secret_key", []string{"empty"}},
		{"a blank quoted secret_key is named",
			"tracker_store:\n  password: {source: secrets_manager.vault, secret_key: '  '}\n",
			"tracker_store.password.secret_key", []string{"empty"}},
		{"a secret_key that is a list is named",
			"tracker_store:\n  password: {source: secrets_manager.vault, secret_key: [a]}\n",
			"tracker_store.password.secret_key", []string{"single name", "a list"}},
		{"an empty transit_key is named",
			"tracker_store:\n  password:\n    source: secrets_manager.vault\n" +
				"    secret_key: k\n    transit_key: ''\n",
			"tracker_store.password.transit_key", []string{"empty", "remove transit_key"}},
		{"a transit_key that is a mapping is named",
			"tracker_store:\n  password:\n    source: secrets_manager.vault\n" +
				"    secret_key: k\n    transit_key: {a: b}\n",
			"tracker_store.password.transit_key", []string{"a mapping"}},
		{"a misspelt key in a reference is named with the allowed keys",
			"tracker_store:\n  password:\n    source: secrets_manager.vault\n" +
				"    secret_key: k\n    transit: rasa\n",
			"tracker_store.password.transit", []string{"unknown key",
				"source, secret_key, transit_key"}},
		{"a secret_key taken from the environment is refused",
			"tracker_store:\n  password:\n    source: secrets_manager.vault\n" +
				"    secret_key: ${KEY_NAME}\n",
			"tracker_store.password.secret_key", []string{"environment variable"}},
		{"a reference merged with << is refused",
			"tracker_store:\n  <<: {source: secrets_manager.vault, secret_key: k}\n",
			"tracker_store.<<", []string{"cannot be merged"}},
		{"two references on one path are refused",
			"a: {[x]: {source: secrets_manager.vault, secret_key: k}, " +
				"[y]: {source: secrets_manager.vault, secret_key: k}}\n",
			"a.<complex key on line 1>", []string{"same path"}},
		{"an unknown secrets_manager key is named with the allowed keys",
			"secrets_manager:\n  type: vault\n  adress: http://vault:8200\n",
			"secrets_manager.adress", []string{"unknown key", "type, token, url, " +
				"secrets_path, mount_point, transit_mount_point, namespace"}},
		{"a secrets_manager value that is a list is named",
			"secrets_manager:\n  type: vault\n  url: [http://vault:8200]\n",
			"secrets_manager.url", []string{"single value", "a list"}},
		{"a secrets_manager that is not a mapping is named",
			"secrets_manager: vault\n", "secrets_manager", []string{"must be a mapping"}},
		{"an alias into secrets_manager is refused",
			"secrets_manager:\n  type: vault\n  url: &u http://vault:8200\n" +
				"action_endpoint:\n  url: *u\n",
			"action_endpoint.url", []string{"points into secrets_manager"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc, err := Parse([]byte(tt.in))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			p := doc.Problems()
			if len(p) != 1 {
				t.Fatalf("Problems = %v, want exactly one", p)
			}
			if p[0].Field != tt.field {
				t.Errorf("Field = %q, want %q", p[0].Field, tt.field)
			}
			if p[0].Line == 0 {
				t.Errorf("Line is unknown")
			}
			if got := p[0].String(); !strings.HasPrefix(got, tt.field+": ") {
				t.Errorf("String() = %q, want it to start with the field", got)
			}
			for _, s := range tt.says {
				if !strings.Contains(p[0].Message, s) {
					t.Errorf("Message %q does not say %q", p[0].Message, s)
				}
			}
		})
	}
}

func TestProblemsAreAllReportedAtOnce(t *testing.T) {
	in := `secrets_manager:
  type: vault
  tokn: x
tracker_store:
  username: {source: secrets_manager.aws, secret_key: u}
  password: {source: secrets_manager.vault, secret_kye: p}
`
	doc, err := Parse([]byte(in))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	var fields []string
	for _, p := range doc.Problems() {
		fields = append(fields, p.Field)
	}
	want := []string{"secrets_manager.tokn", "tracker_store.username.source",
		"tracker_store.password.secret_kye", "tracker_store.password.secret_key"}
	if !reflect.DeepEqual(fields, want) {
		t.Errorf("problem fields = %v, want %v", fields, want)
	}
}

func TestAReferenceWithoutSecretsManagerIsNotAProblem(t *testing.T) {
	doc, err := Parse([]byte("tracker_store:\n  password: " +
		"{source: secrets_manager.vault, secret_key: k}\n"))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if p := doc.Problems(); len(p) != 0 {
		t.Errorf("Problems = %v, want none", p)
	}
	if _, present, _ := doc.SecretsManager(nil); present {
		t.Error("SecretsManager reports a section that is not there")
	}
}

func TestPathsOfKeysWithDotsStayDistinct(t *testing.T) {
	doc, err := Parse([]byte("a:\n  b.c: {source: secrets_manager.vault, secret_key: k}\n" +
		"a.b:\n  c: {source: secrets_manager.vault, secret_key: k}\n"))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	var paths []string
	for _, r := range doc.References() {
		paths = append(paths, r.Path)
	}
	want := []string{`a["b.c"]`, `["a.b"].c`}
	if !reflect.DeepEqual(paths, want) {
		t.Errorf("paths = %v, want %v", paths, want)
	}
}

func TestProblemStringWithoutField(t *testing.T) {
	if got := (Problem{Message: "m"}).String(); got != "m" {
		t.Errorf("String() = %q, want %q", got, "m")
	}
}
