package endpoints

import (
	"regexp"
	"strconv"
	"strings"
	"unicode"

	"gopkg.in/yaml.v3"
)

// envPattern is the implicit resolver Rasa registers for its "!env_var" tag
// (rasa/shared/utils/yaml.py): a plain scalar whose whole text matches is expanded.
// Python's "$" also matches before a final newline, hence the optional "\n".
var envPattern = regexp.MustCompile(`\A.*\$\{.*\}.*\n?\z`)

// varRef is what Python's os.path.expandvars replaces on POSIX: $name with name made of
// ASCII letters, digits and "_", or ${anything but a closing brace}.
var varRef = regexp.MustCompile(`\$([A-Za-z0-9_]+|\{[^}]*\})`)

// UnsetVariableError reports a ${VAR} expansion that left something unexpanded. It
// carries names only, never values, so it is safe to log.
type UnsetVariableError struct {
	// Names are the variables that are not set, in order of appearance, without repeats.
	Names []string
	// Stray is true when Rasa's own check would also fail on a word starting with "$"
	// that is not a set variable (e.g. a lone "$"), which Names does not list.
	Stray bool
}

// Error names the unset variables and the two ways to fix the value.
func (e *UnsetVariableError) Error() string {
	var b strings.Builder
	if len(e.Names) > 0 {
		quoted := make([]string, len(e.Names))
		for i, n := range e.Names {
			quoted[i] = strconv.Quote(n)
		}
		b.WriteString("environment variable " + strings.Join(quoted, ", ") + " is not set")
	}
	if e.Stray {
		if b.Len() > 0 {
			b.WriteString(", and ")
		}
		b.WriteString("a word starting with '$' is not a set variable")
	}
	b.WriteString("; Rasa refuses to start with an unexpanded ${...}: set the variable, " +
		"or quote the value to keep it literal")
	return b.String()
}

// ExpandEnv expands s the way Rasa's YAML loader expands a plain (unquoted) scalar.
// Only text matching Rasa's resolver (something containing "${...}") is expanded at
// all; then, as with Python's os.path.expandvars, both $NAME and ${NAME} are replaced
// in one left-to-right pass (substituted values are not scanned again). Anything left
// unexpanded is an *UnsetVariableError. Callers must not pass quoted scalars: Rasa
// never expands those.
func ExpandEnv(s string, lookup func(string) (string, bool)) (string, error) {
	if !envPattern.MatchString(s) {
		return s, nil
	}

	var unset []string
	seen := map[string]bool{}
	out := varRef.ReplaceAllStringFunc(s, func(m string) string {
		name := refName(m)
		if v, ok := lookupNonEmptyName(lookup, name); ok {
			return v
		}
		if !seen[name] {
			seen[name] = true
			unset = append(unset, name)
		}
		return m
	})

	stray := false
	for _, w := range strings.FieldsFunc(out, isPythonSpace) {
		if strings.HasPrefix(w, "$") && strings.Contains(s, w) && !isUnsetRef(w, seen) {
			stray = true
			break
		}
	}
	if len(unset) > 0 || stray {
		return "", &UnsetVariableError{Names: unset, Stray: stray}
	}
	return out, nil
}

func lookupNonEmptyName(lookup func(string) (string, bool), name string) (string, bool) {
	if name == "" || lookup == nil {
		return "", false
	}
	return lookup(name)
}

// refName is the variable name in a varRef match: "$NAME" or "${NAME}".
func refName(m string) string {
	if strings.HasPrefix(m, "${") {
		return m[2 : len(m)-1]
	}
	return m[1:]
}

// isUnsetRef reports whether a word starts with an unset variable already listed by
// name, so Rasa's check on it adds nothing to report.
func isUnsetRef(w string, unset map[string]bool) bool {
	loc := varRef.FindStringIndex(w)
	return loc != nil && loc[0] == 0 && unset[refName(w[:loc[1]])]
}

// isPythonSpace is the whitespace Python's str.split() splits on.
func isPythonSpace(r rune) bool {
	return unicode.IsSpace(r) || (r >= 0x1c && r <= 0x1f)
}

// isPlain reports whether a scalar is written plain (unquoted, not a block scalar, no
// explicit tag): only such scalars go through YAML's implicit resolvers, and so only
// they are expanded by Rasa.
func isPlain(n *yaml.Node) bool {
	if n == nil || n.Kind != yaml.ScalarNode {
		return false
	}
	const notPlain = yaml.TaggedStyle | yaml.DoubleQuotedStyle | yaml.SingleQuotedStyle |
		yaml.LiteralStyle | yaml.FoldedStyle
	return n.Style&notPlain == 0
}
