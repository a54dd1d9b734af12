package endpoints

import (
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// childPath appends a mapping key to a dotted path. A key that would make the path
// ambiguous (empty, or holding '.', '[', ']' or '"') is written as ["key"], so two
// different places never share a path.
func childPath(parent, key string) string {
	if key == "" || strings.ContainsAny(key, `.[]"`) || hasControl(key) {
		return parent + "[" + strconv.Quote(key) + "]"
	}
	if parent == "" {
		return key
	}
	return parent + "." + key
}

// indexPath appends a sequence index to a path.
func indexPath(parent string, i int) string {
	return parent + "[" + strconv.Itoa(i) + "]"
}

// keyName is the text of a mapping key as it appears in a path. Keys are scalars in
// every real endpoints.yml; a complex key gets a placeholder naming its line.
func keyName(key *yaml.Node) string {
	k := resolveAlias(key)
	if k != nil && k.Kind == yaml.ScalarNode {
		return k.Value
	}
	return "<complex key on line " + strconv.Itoa(key.Line) + ">"
}

func hasControl(s string) bool {
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return true
		}
	}
	return false
}

// resolveAlias follows an alias node to its anchor. A chain of aliases cannot occur in
// YAML (an alias always names a non-alias node), but the loop is bounded regardless.
func resolveAlias(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < 16; i++ {
		n = n.Alias
	}
	if n != nil && n.Kind == yaml.AliasNode {
		return nil
	}
	return n
}
