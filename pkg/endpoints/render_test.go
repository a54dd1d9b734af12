package endpoints

import (
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

// awkwardValues are secret values that YAML or Rasa would change if written plainly.
var awkwardValues = []string{
	"s3cr3t",
	"${NOT_A_VAR}",
	"$HOME",
	"12345",
	"true",
	"null",
	"~",
	"multi\nline\n",
	`quote " and \ and '`,
	"ünïcødé ✓ 密码",
	"  leading and trailing  ",
	"",
	"# not a comment",
	"key: value",
	"- item",
	"&anchor *alias !tag",
	"\t\x01\x7f",
	"\ufeffbom",
	strings.Repeat("long ", 200),
}

func samples(t *testing.T) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	files, err := filepath.Glob("testdata/endpoints-*.yml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no samples: %v", err)
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out[filepath.Base(f)] = data
	}

	// The Helm chart style sample carries endpoints.yml inside a ConfigMap.
	chart, err := os.ReadFile("testdata/rasa-chart-style.yaml")
	if err != nil {
		t.Fatal(err)
	}
	dec := yaml.NewDecoder(strings.NewReader(string(chart)))
	for {
		var obj struct {
			Kind string            `yaml:"kind"`
			Data map[string]string `yaml:"data"`
		}
		if err := dec.Decode(&obj); err != nil {
			break
		}
		if obj.Kind == "ConfigMap" {
			out["rasa-chart-style.yaml#endpoints"] = []byte(obj.Data["endpoints"])
		}
	}
	return out
}

func TestSamplesRenderWithEveryAwkwardValue(t *testing.T) {
	for name, data := range samples(t) {
		for i, v := range awkwardValues {
			t.Run(name+"/value "+strconv.Itoa(i), func(t *testing.T) {
				doc, err := Parse(data)
				if err != nil {
					t.Fatalf("Parse: %v", err)
				}
				if p := doc.Problems(); len(p) != 0 {
					t.Fatalf("Problems: %v", p)
				}
				if len(doc.References()) == 0 {
					t.Fatal("sample has no references")
				}
				values := map[string]string{}
				for j, r := range doc.References() {
					values[r.Path] = v + strconv.Itoa(j)
				}
				out, err := doc.Render(values)
				if err != nil {
					t.Fatalf("Render: %v", err)
				}
				checkRendered(t, data, doc, values, out)
			})
		}
	}
}

func TestRenderKeepsCommentsAndUnknownKeys(t *testing.T) {
	in := `# header of the file
secrets_manager:
  type: vault   # from Rasa's docs
tracker_store:
  type: SQL     # the store
  my_custom_option: keep-me
  password:
    source: secrets_manager.vault
    secret_key: pw
x-unknown-section:
  url: ${SOME_URL}
  list: [1, 2]
# trailing comment
`
	doc, err := Parse([]byte(in))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	out, err := doc.Render(map[string]string{"tracker_store.password": "v"})
	if err != nil {
		t.Fatalf("Render: %v", err)
	}
	for _, s := range []string{"# header of the file", "# the store", "my_custom_option: keep-me",
		"x-unknown-section:", "url: ${SOME_URL}", "# trailing comment", `password: "v"`} {
		if !strings.Contains(string(out), s) {
			t.Errorf("output lacks %q:\n%s", s, out)
		}
	}
	for _, s := range []string{"secrets_manager", "from Rasa's docs", "source:", "secret_key"} {
		if strings.Contains(string(out), s) {
			t.Errorf("output still holds %q:\n%s", s, out)
		}
	}
	checkRendered(t, []byte(in), doc, map[string]string{"tracker_store.password": "v"}, out)
}

func TestRenderIsRepeatableAndLeavesTheDocumentAlone(t *testing.T) {
	in := "x: &pw {source: secrets_manager.vault, secret_key: k}\n" +
		"tracker_store: {password: *pw}\nsecrets_manager: {type: vault}\n"
	doc, err := Parse([]byte(in))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	before := doc.References()

	first, err := doc.Render(map[string]string{"x": "a", "tracker_store.password": "b"})
	if err != nil {
		t.Fatalf("Render: %v", err)
	}
	second, err := doc.Render(map[string]string{"x": "c", "tracker_store.password": "d"})
	if err != nil {
		t.Fatalf("Render: %v", err)
	}
	again, err := doc.Render(map[string]string{"x": "a", "tracker_store.password": "b"})
	if err != nil {
		t.Fatalf("Render: %v", err)
	}
	if string(first) != string(again) {
		t.Errorf("rendering twice differs:\n%s\n---\n%s", first, again)
	}
	if strings.Contains(string(second), `"a"`) || !strings.Contains(string(second), `"d"`) {
		t.Errorf("second render carries values of the first:\n%s", second)
	}
	if !reflect.DeepEqual(before, doc.References()) {
		t.Errorf("References changed after Render")
	}
	if _, present, _ := doc.SecretsManager(nil); !present {
		t.Errorf("Render removed secrets_manager from the Document itself")
	}
}

func TestRenderGivesEachAliasedPlaceItsOwnValue(t *testing.T) {
	in := "base: &base\n  type: redis\n  password: {source: secrets_manager.vault, " +
		"secret_key: k}\ntracker_store: *base\nlock_store: *base\nother: *base\n"
	doc, err := Parse([]byte(in))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	values := map[string]string{}
	for _, r := range doc.References() {
		values[r.Path] = "value-of-" + r.Path
	}
	if len(values) != 4 {
		t.Fatalf("References = %v, want 4", doc.References())
	}
	out, err := doc.Render(values)
	if err != nil {
		t.Fatalf("Render: %v", err)
	}
	checkRendered(t, []byte(in), doc, values, out)
}

func TestRenderRefusesMissingValuesNamingThePaths(t *testing.T) {
	doc, err := Parse([]byte("tracker_store:\n  username: {source: secrets_manager.vault, " +
		"secret_key: u}\n  password: {source: secrets_manager.vault, secret_key: p}\n"))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	tests := []struct {
		name   string
		values map[string]string
		want   []string
	}{
		{"no values names both", nil,
			[]string{"tracker_store.username", "tracker_store.password"}},
		{"one value missing names it", map[string]string{"tracker_store.username": "u"},
			[]string{"tracker_store.password"}},
		{"invalid UTF-8 names the path", map[string]string{"tracker_store.username": "u",
			"tracker_store.password": "\xff\xfe"}, []string{"tracker_store.password", "UTF-8"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := doc.Render(tt.values)
			if err == nil || out != nil {
				t.Fatalf("Render = %q, %v; want no output and an error", out, err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not name %q", err, w)
				}
			}
			if strings.Contains(err.Error(), "\xff") {
				t.Errorf("error %q shows a value", err)
			}
		})
	}
}

func TestRenderIndentsWithTwoSpaces(t *testing.T) {
	doc, err := Parse([]byte("a:\n    b:\n        c: 1\n    l:\n    - x\n"))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	out, err := doc.Render(nil)
	if err != nil {
		t.Fatalf("Render: %v", err)
	}
	if want := "a:\n  b:\n    c: 1\n  l:\n    - x\n"; string(out) != want {
		t.Errorf("Render =\n%s\nwant\n%s", out, want)
	}
}

func TestRenderDropsCommentsRatherThanWriteAWrongFile(t *testing.T) {
	in := "# header\ntracker_store:\n  password: # the password\n" +
		"    {source: secrets_manager.vault, secret_key: k}\n"
	values := map[string]string{"tracker_store.password": "v"}
	realEncode := encode
	t.Cleanup(func() { encode = realEncode })

	tests := []struct {
		name        string
		mangle      func(out []byte, hasComments bool) []byte
		wantErr     bool
		wantComment bool
	}{
		{"a good encoder keeps the comments",
			func(out []byte, _ bool) []byte { return out }, false, true},
		{"an encoder breaking comments gives a file without them",
			func(out []byte, c bool) []byte {
				if c {
					return append([]byte("]["), out...)
				}
				return out
			}, false, false},
		{"an encoder that loses a value makes Render fail",
			func(out []byte, _ bool) []byte {
				return []byte(strings.ReplaceAll(string(out), `"v"`, `"w"`))
			}, true, false},
		{"an encoder that keeps secrets_manager makes Render fail",
			func(out []byte, _ bool) []byte {
				return append(out, "secrets_manager: {}\n"...)
			}, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			encode = func(doc *yaml.Node) ([]byte, error) {
				out, err := realEncode(doc)
				return tt.mangle(out, strings.Contains(string(out), "#")), err
			}
			doc, err := Parse([]byte(in))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			out, err := doc.Render(values)
			if tt.wantErr {
				if err == nil || out != nil {
					t.Fatalf("Render = %q, %v; want an error and no output", out, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Render: %v", err)
			}
			if got := strings.Contains(string(out), "# header"); got != tt.wantComment {
				t.Errorf("comment kept = %v, want %v:\n%s", got, tt.wantComment, out)
			}
			if !strings.Contains(string(out), `password: "v"`) {
				t.Errorf("output lacks the value:\n%s", out)
			}
		})
	}
}

func TestRenderOfManyReferencesStaysFast(t *testing.T) {
	var b strings.Builder
	b.WriteString("x: &r {source: secrets_manager.vault, secret_key: k}\nl: [")
	for i := 0; i < 50_000; i++ {
		b.WriteString("*r, ")
	}
	b.WriteString("]\n")
	doc, err := Parse([]byte(b.String()))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	values := map[string]string{}
	for _, r := range doc.References() {
		values[r.Path] = "v"
	}
	if len(values) != 50_001 {
		t.Fatalf("found %d references, want 50001", len(values))
	}
	start := time.Now()
	if _, err := doc.Render(values); err != nil {
		t.Fatalf("Render: %v", err)
	}
	if took := time.Since(start); took > 10*time.Second {
		t.Errorf("Render took %v", took)
	}
}
