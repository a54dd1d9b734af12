package endpoints

import (
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"
)

// The keys of a reference mapping, and the only source this product (like Rasa) knows.
const (
	keySource     = "source"
	keySecretKey  = "secret_key"
	keyTransitKey = "transit_key"

	sourcePrefix = SectionSecretsManager + "."
	// SourceVault is the source value of a Vault reference.
	SourceVault = sourcePrefix + "vault"
)

var allowedReferenceKeys = keySource + ", " + keySecretKey + ", " + keyTransitKey

// Reference is one property of endpoints.yml whose value lives in Vault:
//
//	password:
//	  source: secrets_manager.vault
//	  secret_key: sql_store_password
//	  transit_key: rasa-tracker
type Reference struct {
	// Path is the dotted path of the property, e.g. "tracker_store.password". It is the
	// key of the values map given to Render.
	Path string
	// SecretKey is the field of the KV v2 secret that holds the value.
	SecretKey string
	// TransitKey is the Transit key that decrypts the value; empty when the value is
	// stored in plain text.
	TransitKey string
	// Line is the 1-based line of the property in endpoints.yml.
	Line int
}

// addReference records a reference-shaped mapping and every problem it has.
func (w *walker) addReference(m *yaml.Node, at position, route []int) {
	ref := Reference{Path: at.path, Line: at.line}
	problem := func(field string, line int, format string, args ...any) {
		w.problems = append(w.problems, Problem{Field: field, Line: line,
			Message: fmt.Sprintf(format, args...)})
	}

	if at.merge {
		problem(at.path, at.line, "a reference cannot be merged with <<: its value is a "+
			"single text, not a mapping; write the property out under its own key")
	}
	if w.paths[at.path] {
		problem(at.path, at.line, "two references have this same path; rename one of the "+
			"keys so each property has its own path")
	}
	w.paths[at.path] = true

	sawSecretKey := false
	for i := 0; i+1 < len(m.Content); i += 2 {
		keyNode, val := m.Content[i], m.Content[i+1]
		key, _ := scalarText(keyNode)
		field := childPath(at.path, keyName(keyNode))

		switch key {
		case keySource:
			src, _ := scalarText(val)
			if src != SourceVault {
				problem(field, val.Line, "%q is not supported: the only secrets manager is "+
					"Vault; write source: %s", src, SourceVault)
			}
		case keySecretKey:
			sawSecretKey = true
			ref.SecretKey = w.referenceName(val, field, true)
		case keyTransitKey:
			ref.TransitKey = w.referenceName(val, field, false)
		default:
			problem(field, keyNode.Line, "unknown key in a Vault reference (allowed: %s); "+
				"check the spelling or remove it", allowedReferenceKeys)
		}
	}
	if !sawSecretKey {
		problem(childPath(at.path, keySecretKey), at.line, "missing: add secret_key: "+
			"<the name of the field in the Vault secret that holds this value>")
	}

	w.refs = append(w.refs, located{Reference: ref, route: route})
}

// referenceName reads secret_key or transit_key and reports what is wrong with it.
func (w *walker) referenceName(val *yaml.Node, field string, secretKey bool) string {
	what := "the name of the field in the Vault secret"
	if !secretKey {
		what = "the name of the Transit key, or remove transit_key if the value is not encrypted"
	}
	add := func(msg string) {
		w.problems = append(w.problems, Problem{Field: field, Line: val.Line, Message: msg})
	}

	s, ok := scalarText(val)
	switch {
	case !ok:
		add(fmt.Sprintf("must be a single name, found %s; write %s", kindName(val), what))
		return ""
	case strings.TrimSpace(s) == "":
		add("empty: write " + what)
		return ""
	case isPlain(resolveAlias(val)) && envPattern.MatchString(s):
		add("uses an environment variable, which this product does not expand inside a " +
			"reference (it resolves references before the assistant's environment exists); " +
			"write " + what + " itself")
	}
	return s
}
