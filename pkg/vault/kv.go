package vault

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Secret is one KV version 2 secret read by ReadSecret, its fields as text.
type Secret struct {
	// Fields holds every string, number and boolean field as text (see FieldString).
	Fields map[string]string
	// Unsupported maps each field that is null, an object or an array to its JSON
	// type. Rasa reads such a secret and only fails on a reference to such a field, so
	// it is no error until a reference uses it. It never holds a value.
	Unsupported map[string]string
}

// Names returns the names of every field, supported or not, sorted.
func (s Secret) Names() []string {
	names := make([]string, 0, len(s.Fields)+len(s.Unsupported))
	for name := range s.Fields {
		names = append(names, name)
	}
	for name := range s.Unsupported {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

// ReadSecret reads the latest version of the KV version 2 secret at path on mount
// (GET /v1/<mount>/data/<path>, as Rasa does) and returns its fields as text.
//
// Field values become text: strings as they are, JSON numbers as their literal text
// (1.50 stays "1.50", 12345678901234567890 keeps every digit), booleans as "true" or
// "false". A null, object or array is listed in Secret.Unsupported by its JSON type
// (never its value): only a reference to it is an error, which the caller decides.
func (c *Client) ReadSecret(ctx context.Context, mount, path string) (Secret, error) {
	mount, path = strings.Trim(mount, "/"), strings.Trim(path, "/")
	full := mount + "/data/" + path
	h := hints{
		denied: "the token is invalid, expired, or its policy lacks read on this path",
		notFound: fmt.Sprintf("no secret at %s: create it with "+
			"vault kv put -mount=%s %s <field>=<value> ... "+
			"(the mount must be a KV version 2 engine)", full, mount, path),
	}

	secret, err := c.api.Logical().ReadWithContext(ctx, full)
	if err != nil {
		return Secret{}, c.classify("reading", full, err, h)
	}
	if secret == nil {
		return Secret{}, &Error{Kind: ErrNotFound, Path: full, StatusCode: 404, msg: h.notFound}
	}

	raw, ok := secret.Data["data"]
	if !ok {
		return Secret{}, &Error{Path: full, msg: fmt.Sprintf("reading %s: the answer has no "+
			"data field; is %s a KV version 2 mount?", full, mount)}
	}
	if raw == nil {
		return Secret{}, &Error{Kind: ErrNotFound, Path: full, StatusCode: 404,
			msg: fmt.Sprintf("the latest version of %s is deleted or destroyed: "+
				"write a new one with vault kv put -mount=%s %s ... or undelete it",
				full, mount, path)}
	}
	fields, ok := raw.(map[string]any)
	if !ok {
		return Secret{}, &Error{Path: full, msg: fmt.Sprintf("reading %s: the data field is "+
			"not a JSON object; is %s a KV version 2 mount?", full, mount)}
	}
	return stringFields(fields), nil
}

// stringFields converts every field of a KV secret with FieldString, setting aside
// the ones it cannot convert with their JSON type.
func stringFields(fields map[string]any) Secret {
	out := Secret{Fields: make(map[string]string, len(fields))}
	for name, v := range fields {
		s, err := FieldString(v)
		if err != nil {
			if out.Unsupported == nil {
				out.Unsupported = map[string]string{}
			}
			out.Unsupported[name] = jsonType(v)
			continue
		}
		out.Fields[name] = s
	}
	return out
}

// jsonType names the JSON type of a decoded value FieldString refuses.
func jsonType(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case map[string]any:
		return "object"
	case []any:
		return "array"
	default:
		return fmt.Sprintf("%T", v)
	}
}

// errUnsupportedValue is what FieldString returns for values a credential cannot be.
var errUnsupportedValue = errors.New("unsupported value type")

// FieldString renders one decoded JSON value of a KV secret as text. Its error says
// only which JSON type the value has, never the value.
func FieldString(v any) (string, error) {
	switch x := v.(type) {
	case string:
		return x, nil
	case json.Number:
		return x.String(), nil
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), nil
	case bool:
		if x {
			return "true", nil
		}
		return "false", nil
	case nil:
		return "", fmt.Errorf("%w: null", errUnsupportedValue)
	case map[string]any:
		return "", fmt.Errorf("%w: object", errUnsupportedValue)
	case []any:
		return "", fmt.Errorf("%w: array", errUnsupportedValue)
	default:
		return "", fmt.Errorf("%w: %T", errUnsupportedValue, v)
	}
}
