package inject

import "github.com/rasa-vault-webhook/rasa-vault-webhook/pkg/endpoints"

// envUse is one environment variable a plain scalar of endpoints.yml expands.
type envUse = endpoints.EnvUse

// envUsesOutsideSecretsManager lists the ${VAR} expansions Rasa performs when it loads
// the resolved endpoints.yml, from the tree endpoints.Parse already built.
func envUsesOutsideSecretsManager(doc *endpoints.Document) []envUse {
	return doc.EnvUsesOutsideSecretsManager()
}
