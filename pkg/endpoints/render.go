package endpoints

import (
	"bytes"
	"errors"
	"fmt"
	"sort"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// renderIndent is the indentation of the resolved file: two spaces, as Rasa's own docs
// and the Rasa Helm chart write endpoints.yml.
const renderIndent = 2

// Render writes the resolved endpoints.yml: every reference replaced by its value from
// values (keyed by Reference.Path) as a double-quoted string, so that neither Rasa's
// ${VAR} expansion nor YAML typing can change it, and the secrets_manager section left
// out. Everything else (sections, key order, comments, unknown keys, ${VAR} elsewhere)
// is kept. A reference without a value is an error naming its path, and nothing is
// written. Render does not change the Document.
//
// The output is parsed again before it is returned; should the YAML encoder mangle a
// comment so badly that the file no longer reads back with every value in place,
// Render writes the file again without comments, and fails rather than return a file
// that does not hold the values.
func (d *Document) Render(values map[string]string) (out []byte, err error) {
	if err := d.checkValues(values); err != nil {
		return nil, err
	}
	if d.top == nil {
		return []byte{}, nil
	}

	defer func() {
		if r := recover(); r != nil {
			out, err = nil, fmt.Errorf("rendering %s: the YAML encoder failed unexpectedly",
				FileName)
		}
	}()

	out, err = d.renderVerified(values, true)
	if err == nil {
		return out, nil
	}
	out, err2 := d.renderVerified(values, false)
	if err2 != nil {
		return nil, fmt.Errorf("rendering %s: %w", FileName, errors.Join(err, err2))
	}
	return out, nil
}

// checkValues lists every reference without a value, and refuses values that YAML
// cannot carry. Error texts hold paths only, never values.
func (d *Document) checkValues(values map[string]string) error {
	var missing, invalid []string
	total := 0
	for _, r := range d.refs {
		v, ok := values[r.Path]
		total += len(v)
		switch {
		case !ok:
			missing = append(missing, r.Path)
		case !utf8.ValidString(v):
			invalid = append(invalid, r.Path)
		}
	}
	var errs []error
	if total > MaxRenderedValueBytes {
		errs = append(errs, fmt.Errorf("the secret values would fill %d bytes of %s "+
			"(aliases repeat them), more than the %d allowed: reference large values once",
			total, FileName, MaxRenderedValueBytes))
	}
	if len(missing) > 0 {
		errs = append(errs, fmt.Errorf("no value for %s; every reference needs one "+
			"before %s can be written", strings.Join(missing, ", "), FileName))
	}
	if len(invalid) > 0 {
		errs = append(errs, fmt.Errorf("the value for %s is not valid UTF-8 text and "+
			"cannot be written to YAML", strings.Join(invalid, ", ")))
	}
	return errors.Join(errs...)
}

func (d *Document) renderVerified(values map[string]string, keepComments bool) ([]byte, error) {
	doc := d.resolvedTree(values)
	if !keepComments {
		doc = deepCopy(doc, map[*yaml.Node]*yaml.Node{}, true)
	}

	out, err := encode(doc)
	if err != nil {
		return nil, err
	}
	if err := d.verify(out, values); err != nil {
		return nil, err
	}
	return out, nil
}

// encode writes a node tree as YAML. It is a variable so that tests can make the
// encoder misbehave and check that Render notices.
var encode = func(doc *yaml.Node) ([]byte, error) {
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(renderIndent)
	if err := enc.Encode(doc); err != nil {
		return nil, fmt.Errorf("encoding YAML: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("encoding YAML: %w", err)
	}
	return buf.Bytes(), nil
}

// resolvedTree builds the output tree by path copying: only the nodes on the way from
// the root to a reference are copied, each once, so the Document's own tree is never
// changed and the cost stays linear however many references there are.
func (d *Document) resolvedTree(values map[string]string) *yaml.Node {
	routes := &routeTrie{}
	for _, r := range d.refs {
		routes.add(r.route, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str",
			Style: yaml.DoubleQuotedStyle, Value: values[r.Path]})
	}
	top := routes.rebuild(d.top)

	doc := *d.root
	if i, _ := findSecretsManager(top); i >= 0 {
		removed := top.Content[i]
		c := *top
		c.Content = make([]*yaml.Node, 0, len(top.Content)-2)
		c.Content = append(c.Content, top.Content[:i]...)
		c.Content = append(c.Content, top.Content[i+2:]...)
		top = &c
		if i == 0 && removed.HeadComment != "" {
			// The first key's head comment is usually the file's header; keep it.
			doc.HeadComment = joinComments(doc.HeadComment, removed.HeadComment)
		}
	}
	doc.Content = []*yaml.Node{top}
	return &doc
}

// routeTrie holds the routes to all references, merged where they share a prefix.
type routeTrie struct {
	children map[int]*routeTrie
	leaf     *yaml.Node
}

func (t *routeTrie) add(route []int, leaf *yaml.Node) {
	for _, i := range route {
		if t.children == nil {
			t.children = map[int]*routeTrie{}
		}
		next := t.children[i]
		if next == nil {
			next = &routeTrie{}
			t.children[i] = next
		}
		t = next
	}
	t.leaf = leaf
}

// rebuild returns a copy of n with every route's end replaced by its leaf. An alias on
// the way is replaced by a copy of its anchor's node, so a value lands at its own path
// only and the anchor's other uses keep theirs.
func (t *routeTrie) rebuild(n *yaml.Node) *yaml.Node {
	if t.leaf != nil {
		if n.Kind == yaml.AliasNode || n.Anchor == "" {
			return t.leaf
		}
		// Keep the anchor of a replaced reference: an alias in a place that is not
		// walked (a mapping key) may still name it, and now names the value.
		anchored := *t.leaf
		anchored.Anchor = n.Anchor
		return &anchored
	}

	src := resolveAlias(n)
	if src == nil || len(t.children) == 0 {
		return n
	}
	c := *src
	if src != n {
		c.Anchor = ""
		c.HeadComment, c.LineComment, c.FootComment = n.HeadComment, n.LineComment, n.FootComment
	}
	c.Content = append([]*yaml.Node(nil), src.Content...)
	for i, child := range t.children {
		if i < len(c.Content) {
			c.Content[i] = child.rebuild(src.Content[i])
		}
	}
	return &c
}

// verify parses the output again and checks that each reference's place holds exactly
// its value as a string and that secrets_manager is gone.
func (d *Document) verify(out []byte, values map[string]string) error {
	var root yaml.Node
	if err := yaml.Unmarshal(out, &root); err != nil {
		return fmt.Errorf("the written file does not parse: %w", err)
	}
	if len(root.Content) == 0 || root.Content[0].Kind != yaml.MappingNode {
		return errors.New("the written file lost its top-level mapping")
	}
	top := root.Content[0]
	if i, _ := findSecretsManager(top); i >= 0 {
		return errors.New("the written file still holds secrets_manager")
	}

	removedAt, _ := findSecretsManager(d.top)
	var wrong []string
	for _, r := range d.refs {
		route := append([]int(nil), r.route...)
		if removedAt >= 0 && route[0] > removedAt {
			route[0] -= 2
		}
		n := followRoute(top, route)
		if n == nil || n.Kind != yaml.ScalarNode || n.ShortTag() != "!!str" ||
			n.Value != values[r.Path] {
			wrong = append(wrong, r.Path)
		}
	}
	if len(wrong) > 0 {
		sort.Strings(wrong)
		return fmt.Errorf("the written file does not hold the value of %s",
			strings.Join(wrong, ", "))
	}
	return nil
}

// followRoute walks a route of Content indexes, resolving aliases on the way.
func followRoute(n *yaml.Node, route []int) *yaml.Node {
	for _, i := range route {
		n = resolveAlias(n)
		if n == nil || i >= len(n.Content) {
			return nil
		}
		n = n.Content[i]
	}
	return resolveAlias(n)
}

// deepCopy copies a node graph, keeping aliases pointed at the copies of their anchors;
// with strip set, comments are left out.
func deepCopy(n *yaml.Node, seen map[*yaml.Node]*yaml.Node, strip bool) *yaml.Node {
	if n == nil {
		return nil
	}
	if c, ok := seen[n]; ok {
		return c
	}
	c := *n
	seen[n] = &c
	if strip {
		c.HeadComment, c.LineComment, c.FootComment = "", "", ""
	}
	if n.Content != nil {
		c.Content = make([]*yaml.Node, len(n.Content))
		for i, child := range n.Content {
			c.Content[i] = deepCopy(child, seen, strip)
		}
	}
	c.Alias = deepCopy(n.Alias, seen, strip)
	return &c
}

func joinComments(a, b string) string {
	if a == "" {
		return b
	}
	if b == "" {
		return a
	}
	return a + "\n\n" + b
}
