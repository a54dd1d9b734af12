package endpoints

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

func fuzzSeeds(f *testing.F) [][]byte {
	files, _ := filepath.Glob("testdata/endpoints-*.yml")
	var seeds [][]byte
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		seeds = append(seeds, data)
	}
	return append(seeds,
		[]byte(""),
		[]byte("a: &x {source: secrets_manager.vault, secret_key: k}\nb: [*x, *x]\n"),
		[]byte("b: &b {p: {source: secrets_manager.vault, secret_key: k}}\nc: {<<: *b}\n"),
		[]byte("# c\nsecrets_manager: {type: vault} # t\nx: [1, {y: 2}] # z\n"),
		[]byte("a: &x [*x]\n"),
		[]byte("t: {source: secrets_manager.vault, secret_key: k, transit_key: t}\n"),
	)
}

// FuzzParseRender checks that no input makes Parse, Problems, References,
// SecretsManager or Render panic, and that a document without problems renders, with
// any values, into YAML that parses again and holds each value at its path.
func FuzzParseRender(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		f.Add(s, "v")
		f.Add(s, "${X}\n\"'#: - &a *b")
	}
	env := func(name string) (string, bool) {
		if len(name)%2 == 0 {
			return "env-" + name, true
		}
		return "", false
	}

	f.Fuzz(func(t *testing.T, data []byte, value string) {
		doc, err := Parse(data)
		if err != nil {
			if !strings.Contains(err.Error(), FileName) {
				t.Errorf("error %q does not name %s", err, FileName)
			}
			return
		}
		_, _, _ = doc.SecretsManager(env)
		refs := doc.References()
		if len(doc.Problems()) > 0 {
			_, _ = doc.Render(nil)
			return
		}

		values := map[string]string{}
		for i, r := range refs {
			values[r.Path] = value + strings.Repeat("x", i%3)
		}
		out, err := doc.Render(values)
		if !utf8.ValidString(value) && len(refs) > 0 {
			if err == nil {
				t.Fatal("Render accepted a value that is not UTF-8")
			}
			return
		}
		if err != nil {
			t.Fatalf("Render of a document without problems failed: %v", err)
		}

		re, err := Parse(out)
		if err != nil {
			t.Fatalf("output does not parse: %v\n%s", err, out)
		}
		if len(re.References()) != 0 {
			t.Fatalf("output still holds references:\n%s", out)
		}
		if _, present, _ := re.SecretsManager(nil); present {
			t.Fatalf("output still holds secrets_manager:\n%s", out)
		}

		var decoded any
		if yaml.Unmarshal(data, &decoded) != nil {
			return
		}
		if err := yaml.Unmarshal(out, &decoded); err != nil {
			t.Fatalf("input decodes but output does not: %v\n%s", err, out)
		}
		for _, r := range refs {
			if !simplePath.MatchString(r.Path) {
				continue
			}
			got, ok := lookupAny(t, decoded, r.Path)
			if !ok || got != values[r.Path] {
				t.Fatalf("%s holds %#v, want %q\n%s", r.Path, got, values[r.Path], out)
			}
		}
	})
}

// simplePath matches paths whose keys decode as strings and involve no merge.
var simplePath = regexp.MustCompile(`^[a-z_][a-z0-9_]*(\[\d+\]|\.[a-z_][a-z0-9_]*)*$`)

func lookupAny(t *testing.T, root any, path string) (any, bool) {
	cur := root
	for _, s := range splitPath(t, path) {
		switch k := s.(type) {
		case string:
			if k == "true" || k == "false" || k == "null" {
				return nil, true
			}
			switch m := cur.(type) {
			case map[string]any:
				cur = m[k]
			case map[any]any:
				cur = m[k]
			default:
				return nil, false
			}
		case int:
			l, ok := cur.([]any)
			if !ok || k >= len(l) {
				return nil, false
			}
			cur = l[k]
		}
	}
	return cur, true
}

// FuzzExpandEnv checks that expansion never panics, leaves text without ${...} alone,
// replaces each variable reference exactly once, and never shows a value in an error.
func FuzzExpandEnv(f *testing.F) {
	for _, s := range []string{"${A}", "$AB ${A}", "x${}y", "${A} $", "${AB}${A}", "plain $A",
		"${A B}", "${AB}\n", "${${AB}}", "$$AB${AB}"} {
		f.Add(s)
	}
	const marker = "\x00VALUE\x00"
	env := func(name string) (string, bool) {
		if len(name)%2 == 0 {
			return marker, true
		}
		return "", false
	}

	f.Fuzz(func(t *testing.T, s string) {
		got, err := ExpandEnv(s, env)
		if !envPattern.MatchString(s) {
			if err != nil || got != s {
				t.Fatalf("ExpandEnv(%q) = %q, %v; want it unchanged", s, got, err)
			}
			return
		}
		if err != nil {
			if strings.Contains(err.Error(), marker) {
				t.Fatalf("error %q shows a value", err)
			}
			return
		}
		if strings.Contains(s, marker) {
			return
		}
		refs := varRef.FindAllString(s, -1)
		if n := strings.Count(got, marker); n != len(refs) {
			t.Fatalf("ExpandEnv(%q) = %q: %d values for %d references", s, got, n, len(refs))
		}
		if back := varRef.ReplaceAllString(s, marker); back != got {
			t.Fatalf("ExpandEnv(%q) = %q, want %q", s, got, back)
		}
	})
}
