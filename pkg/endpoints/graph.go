package endpoints

import (
	"strings"

	"gopkg.in/yaml.v3"
)

// graphInfo is what one linear pass over the node graph (tree edges plus alias edges)
// learns: which nodes can reach a reference, and which aliases close a cycle.
type graphInfo struct {
	// reachesRef holds the nodes from which a reference-shaped mapping is reachable.
	reachesRef map[*yaml.Node]bool
	// cycles holds alias nodes that point at a node containing them.
	cycles []*yaml.Node
}

// analyzeGraph visits every node once (three-colour depth-first search), so its cost is
// linear in the size of the file however the aliases nest.
func analyzeGraph(root *yaml.Node) graphInfo {
	const (
		unseen = iota
		active
		done
	)
	state := map[*yaml.Node]int{}
	info := graphInfo{reachesRef: map[*yaml.Node]bool{}}

	var visit func(n *yaml.Node) bool
	visit = func(n *yaml.Node) bool {
		if n == nil {
			return false
		}
		switch state[n] {
		case active:
			return false
		case done:
			return info.reachesRef[n]
		}
		state[n] = active

		found := false
		if n.Kind == yaml.AliasNode {
			if n.Alias != nil && state[n.Alias] == active {
				info.cycles = append(info.cycles, n)
			}
			found = visit(n.Alias)
		} else {
			found = n.Kind == yaml.MappingNode && isReferenceShaped(n)
			for _, c := range n.Content {
				if visit(c) {
					found = true
				}
			}
		}

		state[n] = done
		if found {
			info.reachesRef[n] = true
		}
		return found
	}
	visit(root)
	return info
}

// isReferenceShaped reports whether a mapping is a reference: its source key is a
// scalar starting with "secrets_manager.". Whether the rest is right is checked later.
func isReferenceShaped(m *yaml.Node) bool {
	v := mappingValue(m, keySource)
	if v == nil {
		return false
	}
	s, ok := scalarText(v)
	return ok && strings.HasPrefix(s, sourcePrefix)
}

// mappingValue returns the value of a plain key in a mapping, or nil.
func mappingValue(m *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if k := resolveAlias(m.Content[i]); k != nil && k.Kind == yaml.ScalarNode &&
			k.Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

// scalarText returns a scalar's text, following an alias; a YAML null reads as "".
// ok is false for mappings, lists and dangling aliases.
func scalarText(n *yaml.Node) (string, bool) {
	n = resolveAlias(n)
	if n == nil || n.Kind != yaml.ScalarNode {
		return "", false
	}
	if n.ShortTag() == "!!null" {
		return "", true
	}
	return n.Value, true
}

// treePaths maps every node of the tree under top (aliases not followed) to its path,
// for problems found by node rather than by walking: alias loops and aliases into
// secrets_manager.
func treePaths(top *yaml.Node) map[*yaml.Node]string {
	paths := map[*yaml.Node]string{}
	var visit func(n *yaml.Node, path string)
	visit = func(n *yaml.Node, path string) {
		if n == nil {
			return
		}
		paths[n] = path
		switch n.Kind {
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				visit(n.Content[i+1], childPath(path, keyName(n.Content[i])))
			}
		case yaml.SequenceNode:
			for i, c := range n.Content {
				visit(c, indexPath(path, i))
			}
		}
	}
	visit(top, "")
	return paths
}

// aliasField names an alias for a Problem: its path, or "*anchor" if it sits in a key.
func aliasField(paths map[*yaml.Node]string, alias *yaml.Node) string {
	if p, ok := paths[alias]; ok && p != "" {
		return p
	}
	return "*" + alias.Value
}
