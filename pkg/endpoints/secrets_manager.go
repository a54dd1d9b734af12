package endpoints

import (
	"errors"
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"
)

// SecretsManagerKeys are the keys Rasa reads from the secrets_manager section.
var SecretsManagerKeys = []string{
	"type", "token", "url", "secrets_path", "mount_point", "transit_mount_point", "namespace",
}

// findSecretsManager returns the index of the secrets_manager key in the top mapping
// (-1 when absent) and its value with aliases resolved.
func findSecretsManager(top *yaml.Node) (int, *yaml.Node) {
	if top == nil {
		return -1, nil
	}
	for i := 0; i+1 < len(top.Content); i += 2 {
		if k, ok := scalarText(top.Content[i]); ok && k == SectionSecretsManager {
			return i, resolveAlias(top.Content[i+1])
		}
	}
	return -1, nil
}

// isAbsent reports whether a section value counts as "no section": missing or null,
// which Rasa treats as not configured.
func isAbsent(n *yaml.Node) bool {
	return n == nil || (n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null")
}

func isAllowedSecretsManagerKey(k string) bool {
	for _, a := range SecretsManagerKeys {
		if k == a {
			return true
		}
	}
	return false
}

// checkSecretsManager lists what is wrong with the secrets_manager section's shape.
func checkSecretsManager(top *yaml.Node) []Problem {
	i, sec := findSecretsManager(top)
	if i < 0 || isAbsent(sec) {
		return nil
	}
	if sec.Kind != yaml.MappingNode {
		return []Problem{{Field: SectionSecretsManager, Line: top.Content[i].Line,
			Message: fmt.Sprintf("must be a mapping of settings such as type: vault and "+
				"url: http://vault:8200, found %s", kindName(sec))}}
	}

	var out []Problem
	allowed := strings.Join(SecretsManagerKeys, ", ")
	for j := 0; j+1 < len(sec.Content); j += 2 {
		keyNode, val := sec.Content[j], sec.Content[j+1]
		field := childPath(SectionSecretsManager, keyName(keyNode))

		key, _ := scalarText(keyNode)
		switch {
		case isMergeKey(keyNode):
			out = append(out, Problem{Field: field, Line: keyNode.Line, Message: "merging " +
				"with << is not supported here; write each setting out"})
			continue
		case !isAllowedSecretsManagerKey(key):
			out = append(out, Problem{Field: field, Line: keyNode.Line, Message: fmt.Sprintf(
				"unknown key (allowed: %s); check the spelling or remove it", allowed)})
		}
		if _, ok := scalarText(val); !ok {
			out = append(out, Problem{Field: field, Line: val.Line, Message: fmt.Sprintf(
				"must be a single value, found %s", kindName(val))})
		}
	}
	return out
}

// checkAnchorsLeavingSecretsManager reports aliases elsewhere that point at an anchor
// defined inside secrets_manager: Render removes that section, which would leave them
// dangling.
func checkAnchorsLeavingSecretsManager(top *yaml.Node) []Problem {
	i, _ := findSecretsManager(top)
	if i < 0 {
		return nil
	}
	inside := map[*yaml.Node]bool{}
	eachNode(top.Content[i], func(n *yaml.Node) { inside[n] = true })
	eachNode(top.Content[i+1], func(n *yaml.Node) { inside[n] = true })

	var out []Problem
	var paths map[*yaml.Node]string
	for j, c := range top.Content {
		if j == i || j == i+1 {
			continue
		}
		eachNode(c, func(n *yaml.Node) {
			if n.Kind == yaml.AliasNode && inside[n.Alias] {
				if paths == nil {
					paths = treePaths(top)
				}
				out = append(out, Problem{Field: aliasField(paths, n), Line: n.Line,
					Message: "this alias points into secrets_manager, which the resolved " +
						"file leaves out; copy the value instead of using the alias"})
			}
		})
	}
	return out
}

// eachNode calls fn for n and every node under it, without following aliases.
func eachNode(n *yaml.Node, fn func(*yaml.Node)) {
	if n == nil {
		return
	}
	fn(n)
	for _, c := range n.Content {
		eachNode(c, fn)
	}
}

// SecretsManager returns the secrets_manager section as Rasa would read it: each key
// with its text, plain scalars ${VAR}-expanded through lookupEnv as Rasa's YAML loader
// does, quoted ones literal, YAML null as "". present is false when the file has no
// section (or an empty one). err joins one error per key that cannot be read, each
// naming the key and the unset variable, never a value.
func (d *Document) SecretsManager(lookupEnv func(string) (string, bool)) (
	section map[string]string, present bool, err error) {
	i, sec := findSecretsManager(d.top)
	if i < 0 || isAbsent(sec) {
		return nil, false, nil
	}
	if sec.Kind != yaml.MappingNode {
		return nil, true, fmt.Errorf("%s: must be a mapping of settings such as type: vault, "+
			"found %s", SectionSecretsManager, kindName(sec))
	}

	section = map[string]string{}
	var errs []error
	for j := 0; j+1 < len(sec.Content); j += 2 {
		keyNode, val := sec.Content[j], sec.Content[j+1]
		if isMergeKey(keyNode) {
			continue
		}
		key, _ := scalarText(keyNode)
		field := childPath(SectionSecretsManager, keyName(keyNode))

		text, ok := scalarText(val)
		if !ok {
			errs = append(errs, fmt.Errorf("%s: must be a single value, found %s",
				field, kindName(val)))
			continue
		}
		if isPlain(resolveAlias(val)) {
			expanded, xerr := ExpandEnv(text, lookupEnv)
			if xerr != nil {
				errs = append(errs, fmt.Errorf("%s: %w", field, xerr))
				continue
			}
			text = expanded
		}
		section[key] = text
	}
	return section, true, errors.Join(errs...)
}
