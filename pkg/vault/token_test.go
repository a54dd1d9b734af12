package vault

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestLookupSelfReadsTTLAndRenewability(t *testing.T) {
	f := newFakeVault(t, map[string]route{
		"GET /v1/auth/token/lookup-self": {200, `{"data":{"id":"` + plantedToken + `",
			"accessor":"acc-1","ttl":42,"creation_ttl":60,"renewable":true,
			"expire_time":"2026-12-04T12:00:42.5Z","policies":["default","rasa"]}}`},
	})
	c := newTestClient(t, f.URL, "team-a")

	info, err := c.LookupSelf(context.Background())
	if err != nil {
		t.Fatalf("LookupSelf: %v", err)
	}
	wantExpiry := time.Date(2026, 12, 4, 12, 0, 42, 5e8, time.UTC)
	if info.TTL != 42*time.Second || info.CreationTTL != time.Minute || !info.Renewable ||
		!info.ExpireTime.Equal(wantExpiry) || strings.Join(info.Policies, ",") != "default,rasa" {
		t.Errorf("LookupSelf = %+v", info)
	}
	assertNoLeak(t, fmt.Sprintf("%+v %v", info, info))
	if f.seen()[0].Header.Get("X-Vault-Namespace") != "team-a" {
		t.Error("lookup-self lacks the namespace header")
	}
}

func TestLookupSelfOfARootTokenNeedsNoRenewal(t *testing.T) {
	f := newFakeVault(t, map[string]route{
		"GET /v1/auth/token/lookup-self": {200, `{"data":{"ttl":0,"creation_ttl":0,
			"renewable":false,"expire_time":null,"policies":["root"]}}`},
	})
	info, err := newTestClient(t, f.URL, "").LookupSelf(context.Background())
	if err != nil {
		t.Fatalf("LookupSelf: %v", err)
	}
	if info.NeedsRenewal() || !info.ExpireTime.IsZero() {
		t.Errorf("root token info = %+v, want no renewal and no expiry", info)
	}
}

func TestLookupSelfRefusesMalformedFields(t *testing.T) {
	tests := []struct {
		name, body, want string
	}{
		{"a negative ttl", `{"data":{"ttl":-1}}`, "field ttl"},
		{"a text ttl", `{"data":{"ttl":"soon"}}`, "field ttl"},
		{"a bad expire_time", `{"data":{"ttl":5,"expire_time":"tomorrow"}}`, "expire_time"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeVault(t, map[string]route{"GET /v1/auth/token/lookup-self": {200, tt.body}})
			_, err := newTestClient(t, f.URL, "").LookupSelf(context.Background())
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want one naming %q", err, tt.want)
			}
		})
	}
}

func TestRenewSelfReturnsTheGrantedTTL(t *testing.T) {
	f := newFakeVault(t, map[string]route{
		"PUT /v1/auth/token/renew-self": {200, `{"auth":{"client_token":"` + plantedToken +
			`","lease_duration":17,"renewable":true}}`},
	})
	ttl, err := newTestClient(t, f.URL, "team-a").RenewSelf(context.Background())
	if err != nil {
		t.Fatalf("RenewSelf: %v", err)
	}
	if ttl != 17*time.Second {
		t.Errorf("RenewSelf = %s, want 17s", ttl)
	}
	if f.seen()[0].Header.Get("X-Vault-Namespace") != "team-a" {
		t.Error("renew-self lacks the namespace header")
	}
}

func TestRenewSelfWithARevokedTokenIsPermissionDenied(t *testing.T) {
	f := newFakeVault(t, map[string]route{
		"PUT /v1/auth/token/renew-self": {403, `{"errors":["permission denied"]}`},
	})
	_, err := newTestClient(t, f.URL, "").RenewSelf(context.Background())
	if !errors.Is(err, ErrPermissionDenied) || IsRetryable(err) {
		t.Fatalf("err = %v, want a non-retryable ErrPermissionDenied", err)
	}
	if !strings.Contains(err.Error(), "auth/token/renew-self") {
		t.Errorf("error %q does not name the path", err)
	}
	assertNoLeak(t, err.Error())
}
