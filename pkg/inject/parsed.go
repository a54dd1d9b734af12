package inject

import (
	"slices"

	"github.com/rasa-vault-webhook/rasa-vault-webhook/pkg/endpoints"
)

// envUse is one environment variable a plain scalar of endpoints.yml expands.
type envUse = endpoints.EnvUse

// parsedEndpoints is everything Mutate learns from the text of endpoints.yml alone: the
// parsed document or the parse error, and what it derives from the document without
// the pod. It is shared between reviews through parseMemo, so it is read-only once
// built: the slices are clipped, so an append by mistake copies rather than writes
// into the shared array, and endpoints.Document is never changed after Parse.
type parsedEndpoints struct {
	doc *endpoints.Document
	// err is the error of endpoints.Parse; when it is set, the other fields are empty.
	err error

	problems   []endpoints.Problem
	references []endpoints.Reference
	// envUses are the ${VAR} expansions outside secrets_manager, scanned once because
	// the YAML walk is a real share of a review's CPU.
	envUses []envUse
}

// parseEndpoints parses text and derives from it what parsedEndpoints holds. It is a
// pure function of text, which is what makes its result safe to memoize.
func parseEndpoints(text string) *parsedEndpoints {
	doc, err := endpoints.Parse([]byte(text))
	if err != nil {
		return &parsedEndpoints{err: err}
	}
	return &parsedEndpoints{
		doc:        doc,
		problems:   slices.Clip(doc.Problems()),
		references: slices.Clip(doc.References()),
		envUses:    slices.Clip(doc.EnvUsesOutsideSecretsManager()),
	}
}

// needsTransit reports whether a reference names a Transit key, so Vault's Transit
// mount must be configured too.
func (p *parsedEndpoints) needsTransit() bool {
	return slices.ContainsFunc(p.references, func(r endpoints.Reference) bool {
		return r.TransitKey != ""
	})
}
