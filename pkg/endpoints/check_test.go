package endpoints

import (
	"reflect"
	"strconv"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// checkRendered checks the output against the input without a golden file: it parses
// as YAML, holds each value as a string at its reference's path, has no
// secrets_manager, keeps every comment outside secrets_manager and the references,
// and is otherwise equal to the input.
func checkRendered(t *testing.T, in []byte, doc *Document, values map[string]string,
	out []byte) {
	t.Helper()

	var want, got map[string]any
	if err := yaml.Unmarshal(in, &want); err != nil {
		t.Fatalf("input does not decode: %v", err)
	}
	if err := yaml.Unmarshal(out, &got); err != nil {
		t.Fatalf("output does not decode: %v\n%s", err, out)
	}
	if _, ok := got[SectionSecretsManager]; ok {
		t.Errorf("output still holds secrets_manager")
	}
	delete(want, SectionSecretsManager)
	for _, r := range doc.References() {
		v, ok := lookupPath(got, r.Path)
		if !ok || v != values[r.Path] {
			t.Errorf("%s holds %#v, want %q", r.Path, v, values[r.Path])
		}
		setPath(t, want, r.Path, values[r.Path])
	}
	if !reflect.DeepEqual(want, got) {
		t.Errorf("output differs beyond the references:\n got %#v\nwant %#v", got, want)
	}

	re, err := Parse(out)
	if err != nil {
		t.Fatalf("output does not parse: %v", err)
	}
	if refs := re.References(); len(refs) != 0 {
		t.Errorf("output still holds references %v", refs)
	}
	for _, c := range keptComments(doc) {
		if !strings.Contains(string(out), c) {
			t.Errorf("output lost the comment %q", c)
		}
	}
}

// keptComments lists the comments outside secrets_manager and the references.
func keptComments(doc *Document) []string {
	if doc.top == nil {
		return nil
	}
	skip := map[*yaml.Node]bool{}
	if i, _ := findSecretsManager(doc.top); i >= 0 {
		eachNode(doc.top.Content[i], func(n *yaml.Node) { skip[n] = true })
		eachNode(doc.top.Content[i+1], func(n *yaml.Node) { skip[n] = true })
	}
	eachNode(doc.top, func(n *yaml.Node) {
		if n.Kind == yaml.MappingNode && isReferenceShaped(n) {
			eachNode(n, func(c *yaml.Node) { skip[c] = true })
		}
	})
	var out []string
	if i, _ := findSecretsManager(doc.top); i == 0 {
		// The first key's head comment is the file's header, which Render keeps.
		out = append(out, commentLines(doc.top.Content[0].HeadComment)...)
	}
	eachNode(doc.root, func(n *yaml.Node) {
		if !skip[n] {
			out = append(out, commentLines(n.HeadComment, n.LineComment, n.FootComment)...)
		}
	})
	return out
}

func commentLines(comments ...string) []string {
	var out []string
	for _, c := range comments {
		for _, line := range strings.Split(c, "\n") {
			if line = strings.TrimSpace(line); line != "" {
				out = append(out, line)
			}
		}
	}
	return out
}

// splitPath turns "a.b[0][\"c.d\"]" into segments: strings for keys, ints for indexes.
func splitPath(t *testing.T, path string) []any {
	t.Helper()
	var segs []any
	for path != "" {
		switch {
		case strings.HasPrefix(path, `["`):
			end := strings.Index(path, `"]`)
			for end > 0 && path[end-1] == '\\' {
				end += 2 + strings.Index(path[end+2:], `"]`)
			}
			key, err := strconv.Unquote(path[1 : end+1])
			if err != nil {
				t.Fatalf("bad path %q: %v", path, err)
			}
			segs, path = append(segs, key), path[end+2:]
		case path[0] == '[':
			end := strings.IndexByte(path, ']')
			i, err := strconv.Atoi(path[1:end])
			if err != nil {
				t.Fatalf("bad path %q: %v", path, err)
			}
			segs, path = append(segs, i), path[end+1:]
		case path[0] == '.':
			path = path[1:]
		default:
			end := strings.IndexAny(path, ".[")
			if end < 0 {
				end = len(path)
			}
			segs, path = append(segs, path[:end]), path[end:]
		}
	}
	return segs
}

func lookupPath(root map[string]any, path string) (any, bool) {
	var cur any = root
	for _, s := range splitPath(&testing.T{}, path) {
		switch k := s.(type) {
		case string:
			m, ok := cur.(map[string]any)
			if !ok {
				return nil, false
			}
			cur, ok = m[k]
			if !ok {
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

func setPath(t *testing.T, root map[string]any, path, value string) {
	t.Helper()
	segs := splitPath(t, path)
	var cur any = root
	for i, s := range segs {
		last := i == len(segs)-1
		switch k := s.(type) {
		case string:
			m := cur.(map[string]any)
			if last {
				m[k] = value
				return
			}
			cur = m[k]
		case int:
			l := cur.([]any)
			if last {
				l[k] = value
				return
			}
			cur = l[k]
		}
	}
}
