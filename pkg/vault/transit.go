package vault

import (
	"context"
	"encoding/base64"
	"fmt"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// transitPrefix matches the version prefix Transit puts on every ciphertext; Rasa
// decrypts a value only when it matches (vault:v1:..., vault:v12:...).
var transitPrefix = regexp.MustCompile(`^vault:v[0-9]+:`)

// IsTransitCiphertext reports whether s looks like Transit ciphertext, by Rasa's rule:
// it starts with "vault:v<digits>:".
func IsTransitCiphertext(s string) bool {
	return transitPrefix.MatchString(s)
}

// Decrypt decrypts Transit ciphertext with key on the Transit mount
// (POST /v1/<transitMount>/decrypt/<key>) and returns the plaintext base64-decoded and
// trimmed of surrounding white space (TrimLikePython), as Rasa does, so the values match exactly.
func (c *Client) Decrypt(ctx context.Context, transitMount, key, ciphertext string) (
	string, error) {
	transitMount = strings.Trim(transitMount, "/")
	full := transitMount + "/decrypt/" + key
	h := hints{
		denied: "the token is invalid, expired, or its policy lacks update on this path",
		notFound: fmt.Sprintf("no Transit engine at %s or no key %q: check "+
			"transit_mount_point (VAULT_TRANSIT_MOUNT_POINT) and the reference's transit_key",
			transitMount, key),
	}

	secret, err := c.api.Logical().WriteWithContext(ctx, full, map[string]any{
		"ciphertext": ciphertext,
	})
	if err != nil {
		return "", c.classify("decrypting with", full, err, h)
	}
	if secret == nil || secret.Data == nil {
		return "", &Error{Path: full, msg: fmt.Sprintf("decrypting with %s: Vault returned "+
			"no data", full)}
	}
	encoded, ok := secret.Data["plaintext"].(string)
	if !ok {
		return "", &Error{Path: full, msg: fmt.Sprintf("decrypting with %s: Vault returned "+
			"no plaintext field", full)}
	}
	plain, err := base64.StdEncoding.DecodeString(encoded)
	if err != nil {
		return "", &Error{Path: full, msg: fmt.Sprintf("decrypting with %s: the plaintext "+
			"is not base64; encrypt the base64 of the value", full)}
	}
	if !utf8.Valid(plain) {
		return "", &Error{Path: full, msg: fmt.Sprintf("decrypting with %s: the plaintext "+
			"is not UTF-8 text", full)}
	}
	return TrimLikePython(string(plain)), nil
}

// TrimLikePython trims what Python's str.strip() trims, which Rasa applies to
// decrypted values: Unicode white space plus the ASCII separators U+001C..U+001F,
// which Python counts as white space and Go's unicode.IsSpace does not.
func TrimLikePython(s string) string {
	return strings.TrimFunc(s, func(r rune) bool {
		return unicode.IsSpace(r) || (r >= 0x1c && r <= 0x1f)
	})
}
