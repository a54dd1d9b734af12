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

// ReadSecret reads the latest version of the KV version 2 secret at path on mount
// (GET /v1/<mount>/data/<path>, as Rasa does) and returns its fields as strings.
//
// Field values become text: strings as they are, JSON numbers as their literal text
// (1.50 stays "1.50", 12345678901234567890 keeps every digit), booleans as "true" or
// "false". A null, object or array is an error that names the field, never its value.
func (c *Client) ReadSecret(ctx context.Context, mount, path string) (map[string]string, error) {
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
		return nil, c.classify("reading", full, err, h)
	}
	if secret == nil {
		return nil, &Error{Kind: ErrNotFound, Path: full, StatusCode: 404, msg: h.notFound}
	}

	raw, ok := secret.Data["data"]
	if !ok {
		return nil, &Error{Path: full, msg: fmt.Sprintf("reading %s: the answer has no "+
			"data field; is %s a KV version 2 mount?", full, mount)}
	}
	if raw == nil {
		return nil, &Error{Kind: ErrNotFound, Path: full, StatusCode: 404,
			msg: fmt.Sprintf("the latest version of %s is deleted or destroyed: "+
				"write a new one with vault kv put -mount=%s %s ... or undelete it",
				full, mount, path)}
	}
	fields, ok := raw.(map[string]any)
	if !ok {
		return nil, &Error{Path: full, msg: fmt.Sprintf("reading %s: the data field is "+
			"not a JSON object; is %s a KV version 2 mount?", full, mount)}
	}
	return stringFields(full, fields)
}

// stringFields converts every field of a KV secret with FieldString.
func stringFields(full string, fields map[string]any) (map[string]string, error) {
	out := make(map[string]string, len(fields))
	var bad []string
	for name, v := range fields {
		s, err := FieldString(v)
		if err != nil {
			bad = append(bad, fmt.Sprintf("%q (%v)", name, err))
			continue
		}
		out[name] = s
	}
	if len(bad) > 0 {
		sort.Strings(bad)
		return nil, &Error{Path: full, msg: fmt.Sprintf("reading %s: fields that are not "+
			"a string, number or boolean: %s; store them as strings", full,
			strings.Join(bad, ", "))}
	}
	return out, nil
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
