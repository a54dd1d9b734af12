package kube

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"

	"gopkg.in/yaml.v3"
)

// strictBool is insecure-skip-tls-verify, the one kubeconfig boolean this package
// reads: only an unquoted true or false. yaml.v3 would
// also take "yes", "on" or a quoted "true" into a bool, which client-go refuses; for
// insecure-skip-tls-verify a lenient reading could turn verification off.
type strictBool bool

// UnmarshalYAML accepts a YAML boolean and nothing else, without echoing the value.
func (b *strictBool) UnmarshalYAML(node *yaml.Node) error {
	if node.Kind == yaml.ScalarNode && node.ShortTag() == "!!bool" {
		v, err := strconv.ParseBool(node.Value)
		if err == nil {
			*b = strictBool(v)
			return nil
		}
	}
	return fmt.Errorf("line %d: insecure-skip-tls-verify: want true or false, unquoted",
		node.Line)
}

// yamlValue matches the `value` yaml.v3 quotes in its type errors.
var yamlValue = regexp.MustCompile("`[^`]*`")

// redactYAMLError drops the values yaml.v3 quotes in its errors: a token pasted into
// the wrong field must not reach a log line. Line numbers and types stay.
func redactYAMLError(err error) error {
	var typeErr *yaml.TypeError
	if !errors.As(err, &typeErr) {
		return err
	}
	msgs := make([]string, len(typeErr.Errors))
	for i, m := range typeErr.Errors {
		msgs[i] = yamlValue.ReplaceAllString(m, "a value")
	}
	return &yaml.TypeError{Errors: msgs}
}

// duplicateName returns the first name that appears twice among names; client-go
// refuses such a kubeconfig rather than picking one.
func duplicateName(names []string) (string, bool) {
	seen := make(map[string]bool, len(names))
	for _, n := range names {
		if seen[n] {
			return n, true
		}
		seen[n] = true
	}
	return "", false
}
