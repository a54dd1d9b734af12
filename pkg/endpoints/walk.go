package endpoints

import (
	"fmt"

	"gopkg.in/yaml.v3"
)

// maxAliasVisits caps the nodes visited again because an alias leads to them. Real
// endpoints.yml files use a handful of aliases; the cap stops a "billion laughs" file
// from costing exponential time and memory while leaving plenty of room for those.
const maxAliasVisits = 100_000

// located is a reference plus the route Render follows to replace it: at each step,
// the index into Content of the node reached so far (aliases resolved).
type located struct {
	Reference
	route []int
}

// walker finds references in every top-level section except secrets_manager.
type walker struct {
	graph       graphInfo
	refs        []located
	problems    []Problem
	aliasVisits int
	onPath      map[*yaml.Node]bool
	paths       map[string]bool
}

func newWalker(root *yaml.Node) *walker {
	return &walker{
		graph:  analyzeGraph(root),
		onPath: map[*yaml.Node]bool{},
		paths:  map[string]bool{},
	}
}

// errTooManyAliases is returned when following aliases exceeds maxAliasVisits.
var errTooManyAliases = fmt.Errorf("%s: aliases expand to more than %d nodes; "+
	"write the repeated sections out instead of nesting aliases", FileName, maxAliasVisits)

func (w *walker) walkTop(top *yaml.Node) error {
	var paths map[*yaml.Node]string
	if len(w.graph.cycles) > 0 {
		paths = treePaths(top)
	}
	for _, a := range w.graph.cycles {
		w.problems = append(w.problems, Problem{
			Field: aliasField(paths, a),
			Line:  a.Line,
			Message: "this alias is inside the node its anchor names, a loop that cannot be " +
				"written out; copy the values instead of the alias",
		})
	}

	for i := 0; i+1 < len(top.Content); i += 2 {
		key := top.Content[i]
		if k, ok := scalarText(key); ok && k == SectionSecretsManager {
			continue
		}
		step := position{path: childPath("", keyName(key)), line: key.Line,
			merge: isMergeKey(key)}
		if err := w.walk(top.Content[i+1], step, []int{i + 1}, 0); err != nil {
			return err
		}
	}
	return nil
}

// position is where the walker stands: the path, the line to report, and whether the
// node is the value (or an element of the list value) of a merge key "<<".
type position struct {
	path  string
	line  int
	merge bool
}

func (w *walker) walk(n *yaml.Node, at position, route []int, aliasDepth int) error {
	if n == nil {
		return nil
	}
	if aliasDepth > 0 {
		w.aliasVisits++
		if w.aliasVisits > maxAliasVisits {
			return errTooManyAliases
		}
	}

	target := n
	if n.Kind == yaml.AliasNode {
		target = resolveAlias(n)
		if target == nil || !w.graph.reachesRef[target] || w.onPath[target] {
			return nil
		}
		aliasDepth++
	}
	if target.Kind != yaml.MappingNode && target.Kind != yaml.SequenceNode {
		return nil
	}
	if !w.graph.reachesRef[target] {
		return nil
	}

	if target.Kind == yaml.MappingNode && isReferenceShaped(target) {
		w.addReference(target, at, route)
		return nil
	}

	w.onPath[target] = true
	defer delete(w.onPath, target)

	if target.Kind == yaml.SequenceNode {
		for i, c := range target.Content {
			step := position{path: indexPath(at.path, i), line: c.Line, merge: at.merge}
			if err := w.walk(c, step, extend(route, i), aliasDepth); err != nil {
				return err
			}
		}
		return nil
	}

	for i := 0; i+1 < len(target.Content); i += 2 {
		key := target.Content[i]
		step := position{path: childPath(at.path, keyName(key)), line: key.Line,
			merge: isMergeKey(key)}
		if err := w.walk(target.Content[i+1], step, extend(route, i+1), aliasDepth); err != nil {
			return err
		}
	}
	return nil
}

// extend returns route+i without sharing the backing array with route.
func extend(route []int, i int) []int {
	out := make([]int, len(route)+1)
	copy(out, route)
	out[len(route)] = i
	return out
}
