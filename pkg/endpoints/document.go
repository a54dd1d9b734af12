package endpoints

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"

	"gopkg.in/yaml.v3"
)

// FileName is how errors name the parsed file, so users know which file to fix.
const FileName = "endpoints.yml"

// MaxDocumentSize is the largest endpoints.yml Parse accepts: 1 MiB, the most a
// ConfigMap (and so its mounted file) can hold.
const MaxDocumentSize = 1 << 20

// MaxRenderedValueBytes caps the bytes of secret values a rendered file may carry
// (each place a value appears counts, aliases included). It keeps a small file whose
// aliases repeat a large value from growing past the agent's memory and the 4Mi
// memory volume; a real endpoints.yml carries a few short credentials.
const MaxRenderedValueBytes = 1 << 20

// SectionSecretsManager is the top-level key that configures Rasa's secrets manager.
const SectionSecretsManager = "secrets_manager"

// Document is a parsed endpoints.yml. The node tree is kept so that Render can write
// the file back with its sections, key order, comments and unknown keys. A Document is
// never changed after Parse, so it is safe for concurrent use.
type Document struct {
	// root is the YAML document node; nil for an empty file.
	root *yaml.Node
	// top is the top-level mapping; nil for an empty file.
	top *yaml.Node

	refs     []located
	problems []Problem
}

// Parse reads an endpoints.yml. An empty file (or one holding only comments or null)
// is a valid empty document. Syntax errors name the line ("endpoints.yml line 7: ...");
// a top level that is not a mapping, several documents in one file, duplicate keys and
// aliases that expand beyond a safe size are errors as well. Problems with the
// secrets_manager section or with references are not errors: see Problems.
func Parse(data []byte) (doc *Document, err error) {
	if len(data) > MaxDocumentSize {
		return nil, fmt.Errorf("%s is %d bytes, more than the %d a ConfigMap can hold: "+
			"this is not a Rasa endpoints file", FileName, len(data), MaxDocumentSize)
	}
	defer func() {
		// The YAML parser reports errors by panicking internally and recovers them
		// itself; this only guards against a parser bug turning bad input into a crash.
		if r := recover(); r != nil {
			doc, err = nil, fmt.Errorf("%s: the YAML parser failed unexpectedly on this file",
				FileName)
		}
	}()

	root, err := decodeSingle(data)
	if err != nil {
		return nil, err
	}

	doc = &Document{root: root}
	if root == nil || len(root.Content) == 0 {
		return doc, nil
	}

	top := root.Content[0]
	if top.Kind == yaml.ScalarNode && top.ShortTag() == "!!null" {
		return &Document{}, nil
	}
	if top.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("%s line %d: the top level must be a mapping of sections "+
			"(tracker_store:, secrets_manager:, ...), found %s", FileName, top.Line, kindName(top))
	}
	doc.top = top

	if err := checkDuplicateKeys(root); err != nil {
		return nil, err
	}

	w := newWalker(root)
	if err := w.walkTop(top); err != nil {
		return nil, err
	}
	doc.refs = w.refs
	doc.problems = append(checkSecretsManager(top), w.problems...)
	doc.problems = append(doc.problems, checkAnchorsLeavingSecretsManager(top)...)
	return doc, nil
}

// decodeSingle parses the first YAML document and rejects a second one, as Rasa does.
func decodeSingle(data []byte) (*yaml.Node, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))

	var root yaml.Node
	if err := dec.Decode(&root); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, nil
		}
		return nil, yamlError(err)
	}

	var next yaml.Node
	err := dec.Decode(&next)
	if err == nil {
		return nil, fmt.Errorf("%s line %d: the file holds more than one YAML document "+
			"(a second '---'); Rasa reads exactly one, remove the extra document",
			FileName, next.Line)
	}
	if !errors.Is(err, io.EOF) {
		return nil, yamlError(err)
	}
	return &root, nil
}

var yamlLinePrefix = regexp.MustCompile(`^line (\d+): `)

// yamlError rewrites a gopkg.in/yaml.v3 error as "endpoints.yml line N: ...".
func yamlError(err error) error {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	if m := yamlLinePrefix.FindStringSubmatch(msg); m != nil {
		return fmt.Errorf("%s line %s: %s", FileName, m[1], msg[len(m[0]):])
	}
	return fmt.Errorf("%s: %s", FileName, msg)
}

// checkDuplicateKeys rejects a mapping that repeats a key: Rasa's YAML loader refuses
// such a file, and which of the two values counts would otherwise be a guess.
func checkDuplicateKeys(root *yaml.Node) error {
	var err error
	var visit func(n *yaml.Node)
	visit = func(n *yaml.Node) {
		if err != nil || n == nil || n.Kind == yaml.AliasNode {
			return
		}
		if n.Kind == yaml.MappingNode {
			seen := make(map[string]int, len(n.Content)/2)
			for i := 0; i+1 < len(n.Content); i += 2 {
				k := n.Content[i]
				if k.Kind != yaml.ScalarNode || isMergeKey(k) {
					continue
				}
				if first, dup := seen[k.Value]; dup {
					err = fmt.Errorf("%s line %d: key %q appears twice in the same mapping "+
						"(first on line %d); keep only one", FileName, k.Line, k.Value, first)
					return
				}
				seen[k.Value] = k.Line
			}
		}
		for _, c := range n.Content {
			visit(c)
		}
	}
	visit(root)
	return err
}

// isMergeKey reports whether a mapping key is YAML's merge key "<<".
func isMergeKey(k *yaml.Node) bool {
	return k.Kind == yaml.ScalarNode && (k.Tag == "!!merge" ||
		(k.Style == 0 && k.Value == "<<" && (k.Tag == "" || k.ShortTag() == "!!merge")))
}

// kindName names a node's kind the way a user thinks of it.
func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return "an alias"
	case yaml.ScalarNode:
		if n.ShortTag() == "!!null" {
			return "an empty value"
		}
		return "a single value"
	default:
		return "an unexpected node"
	}
}

// Problems lists every structural problem found in the document, in document order
// within each kind: the secrets_manager section first, then references. An empty list
// means the document can be resolved. A reference with no secrets_manager section is
// not a problem here, because SECRET_MANAGER in the environment may configure it.
func (d *Document) Problems() []Problem {
	return append([]Problem(nil), d.problems...)
}

// References lists every Vault reference in document order, including those outside
// tracker_store (Rasa itself resolves only tracker_store) and those reached through
// YAML aliases, each under its own path. References inside secrets_manager are not
// looked for. Malformed references are listed too; Problems says what is wrong.
func (d *Document) References() []Reference {
	out := make([]Reference, len(d.refs))
	for i, r := range d.refs {
		out[i] = r.Reference
	}
	return out
}
