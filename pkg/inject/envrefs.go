package inject

import (
	"strconv"

	"gopkg.in/yaml.v3"

	"github.com/rasa-vault-webhook/rasa-vault-webhook/pkg/endpoints"
)

// envUse is one environment variable a plain scalar of endpoints.yml expands.
type envUse struct {
	name  string
	field string
}

// envUsesOutsideSecretsManager lists the ${VAR} expansions Rasa performs when it loads
// the resolved endpoints.yml: every plain scalar outside secrets_manager, in document
// order. data has parsed with endpoints.Parse already, so errors are not expected and
// yield no uses.
func envUsesOutsideSecretsManager(data []byte) []envUse {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil || len(root.Content) == 0 {
		return nil
	}
	top := root.Content[0]
	if top.Kind != yaml.MappingNode {
		return nil
	}

	var uses []envUse
	for i := 0; i+1 < len(top.Content); i += 2 {
		key := top.Content[i].Value
		if key == endpoints.SectionSecretsManager {
			continue
		}
		uses = collectEnvUses(top.Content[i+1], key, uses)
	}
	return uses
}

// collectEnvUses appends the variables expanded under n, found at field. Aliases are not
// followed: the anchored node is visited where it is defined.
func collectEnvUses(n *yaml.Node, field string, uses []envUse) []envUse {
	switch n.Kind {
	case yaml.ScalarNode:
		if !isPlainScalar(n) {
			return uses
		}
		record := func(name string) (string, bool) {
			uses = append(uses, envUse{name: name, field: field})
			return "", true
		}
		_, _ = endpoints.ExpandEnv(n.Value, record)
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

// isPlainScalar reports whether Rasa's loader would expand n: only unquoted, untagged
// flow scalars go through its ${VAR} resolver.
func isPlainScalar(n *yaml.Node) bool {
	const notPlain = yaml.TaggedStyle | yaml.DoubleQuotedStyle | yaml.SingleQuotedStyle |
		yaml.LiteralStyle | yaml.FoldedStyle
	return n.Style&notPlain == 0
}
