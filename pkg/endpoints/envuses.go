package endpoints

import (
	"strconv"

	"gopkg.in/yaml.v3"
)

// EnvUse is one environment variable that Rasa's loader expands in a plain scalar of
// endpoints.yml, and the field where it does.
type EnvUse struct {
	// Name is the variable, e.g. VAULT_URL.
	Name string
	// Field is the dotted path of the scalar, e.g. action_endpoint.url.
	Field string
}

// EnvUsesOutsideSecretsManager lists the ${VAR} expansions Rasa performs when it loads
// the resolved file: those of every plain scalar outside secrets_manager, in document
// order. It walks the tree Parse already built. Aliases are not followed: an anchored
// node is visited where it is defined.
func (d *Document) EnvUsesOutsideSecretsManager() []EnvUse {
	if d.top == nil {
		return nil
	}
	var uses []EnvUse
	for i := 0; i+1 < len(d.top.Content); i += 2 {
		key := d.top.Content[i].Value
		if key == SectionSecretsManager {
			continue
		}
		uses = collectEnvUses(d.top.Content[i+1], key, uses)
	}
	return uses
}

// collectEnvUses appends the variables expanded under n, found at field.
func collectEnvUses(n *yaml.Node, field string, uses []EnvUse) []EnvUse {
	switch n.Kind {
	case yaml.ScalarNode:
		if !isPlain(n) {
			return uses
		}
		record := func(name string) (string, bool) {
			uses = append(uses, EnvUse{Name: name, Field: field})
			return "", true
		}
		_, _ = ExpandEnv(n.Value, record)
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			uses = collectEnvUses(n.Content[i+1], field+"."+n.Content[i].Value, uses)
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			uses = collectEnvUses(c, field+"["+strconv.Itoa(i)+"]", uses)
		}
	}
	return uses
}
