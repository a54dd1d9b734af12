package vault

import (
	"context"
	"encoding/json"
	"fmt"
	"time"
)

// TokenInfo is what the agent needs to know about its token to schedule renewals.
// It deliberately has no field for the token itself or its accessor.
type TokenInfo struct {
	// TTL is the time left; 0 means the token never expires (e.g. a root token).
	TTL time.Duration
	// CreationTTL is the TTL the token was created with.
	CreationTTL time.Duration
	// Renewable is Vault's renewable flag.
	Renewable bool
	// ExpireTime is when the token expires; zero when it never does.
	ExpireTime time.Time
	// Policies are the token's policy names.
	Policies []string
}

// NeedsRenewal reports whether a renewal should be scheduled: only for a renewable
// token that expires. A root or other non-expiring token is left alone.
func (t TokenInfo) NeedsRenewal() bool {
	return t.Renewable && t.TTL > 0
}

// tokenHints are the fixes for a failed token call; a 404 cannot happen on these
// endpoints in practice, but the sentence is still accurate if it does.
var tokenHints = hints{
	denied:   "the token is invalid, expired or revoked: give the pod a valid token",
	notFound: "the token endpoints are missing at auth/token: is the address a Vault server?",
}

// LookupSelf asks Vault about the client's own token (GET /v1/auth/token/lookup-self).
func (c *Client) LookupSelf(ctx context.Context) (TokenInfo, error) {
	const path = "auth/token/lookup-self"
	secret, err := c.api.Auth().Token().LookupSelfWithContext(ctx)
	if err != nil {
		return TokenInfo{}, c.classify("looking up the token at", path, err, tokenHints)
	}
	if secret == nil || secret.Data == nil {
		return TokenInfo{}, &Error{Path: path, msg: "looking up the token at " + path +
			": Vault returned no data"}
	}
	info, err := tokenInfoFromLookup(secret.Data)
	if err != nil {
		return TokenInfo{}, &Error{Path: path, msg: fmt.Sprintf("looking up the token at "+
			"%s: %v", path, err)}
	}
	return info, nil
}

// RenewSelf renews the client's own token by its default increment
// (PUT /v1/auth/token/renew-self) and returns the TTL Vault granted, which may be
// shorter than before when the token nears its maximum TTL.
func (c *Client) RenewSelf(ctx context.Context) (time.Duration, error) {
	const path = "auth/token/renew-self"
	secret, err := c.api.Auth().Token().RenewSelfWithContext(ctx, 0)
	if err != nil {
		return 0, c.classify("renewing the token at", path, err, tokenHints)
	}
	if secret == nil || secret.Auth == nil {
		return 0, &Error{Path: path, msg: "renewing the token at " + path +
			": Vault returned no auth data"}
	}
	return time.Duration(secret.Auth.LeaseDuration) * time.Second, nil
}

// tokenInfoFromLookup reads the fields of a lookup-self answer. Its errors name the
// field, never a value (the answer's "id" field is the token itself).
func tokenInfoFromLookup(data map[string]any) (TokenInfo, error) {
	var info TokenInfo
	var err error
	if info.TTL, err = seconds(data, "ttl"); err != nil {
		return TokenInfo{}, err
	}
	if info.CreationTTL, err = seconds(data, "creation_ttl"); err != nil {
		return TokenInfo{}, err
	}
	if r, ok := data["renewable"].(bool); ok {
		info.Renewable = r
	}
	if s, ok := data["expire_time"].(string); ok && s != "" {
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return TokenInfo{}, fmt.Errorf("field expire_time is not an RFC 3339 time")
		}
		info.ExpireTime = t
	}
	if list, ok := data["policies"].([]any); ok {
		for _, p := range list {
			if s, ok := p.(string); ok {
				info.Policies = append(info.Policies, s)
			}
		}
	}
	return info, nil
}

// seconds reads a whole number of seconds; a missing field is zero.
func seconds(data map[string]any, field string) (time.Duration, error) {
	switch v := data[field].(type) {
	case nil:
		return 0, nil
	case json.Number:
		n, err := v.Int64()
		if err != nil || n < 0 {
			return 0, fmt.Errorf("field %s is not a whole number of seconds", field)
		}
		return time.Duration(n) * time.Second, nil
	default:
		return 0, fmt.Errorf("field %s has unexpected type %T", field, v)
	}
}

// RevokeSelf revokes the client's own token (PUT /v1/auth/token/revoke-self), so a
// stopped pod leaves no live token behind.
func (c *Client) RevokeSelf(ctx context.Context) error {
	const path = "auth/token/revoke-self"
	if err := c.api.Auth().Token().RevokeSelfWithContext(ctx, ""); err != nil {
		return c.classify("revoking the token at", path, err, tokenHints)
	}
	return nil
}
