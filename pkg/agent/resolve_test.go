package agent

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/rasa-vault-webhook/rasa-vault-webhook/pkg/endpoints"
	"github.com/rasa-vault-webhook/rasa-vault-webhook/pkg/vault"
)

func TestResolveValuesPicksDecryptsAndRefuses(t *testing.T) {
	const path = "secret/data/rasa-secrets"
	userRef := endpoints.Reference{Path: "tracker_store.username", SecretKey: "user"}
	passRef := endpoints.Reference{Path: "tracker_store.password", SecretKey: "pass"}
	cipherRef := endpoints.Reference{Path: "tracker_store.password", SecretKey: "enc",
		TransitKey: "k"}
	plainTransitRef := endpoints.Reference{Path: "lock_store.password", SecretKey: "pass",
		TransitKey: "k"}
	decryptOK := func(_ context.Context, _ endpoints.Reference, c string) (string, error) {
		if c != "vault:v1:ct" {
			return "", errors.New("unexpected ciphertext")
		}
		return plantedPassword, nil
	}
	decryptEmpty := func(context.Context, endpoints.Reference, string) (string, error) {
		return "", nil
	}
	decryptDown := func(context.Context, endpoints.Reference, string) (string, error) {
		return "", &vault.Error{Kind: vault.ErrUnreachable}
	}

	tests := []struct {
		name          string
		refs          []endpoints.Reference
		fields        map[string]string
		unsupported   map[string]string
		decrypt       decryptFunc
		want          map[string]string
		notCiphertext []string
		wantErr       []string
		wantKind      error
	}{
		{name: "plain references take their fields",
			refs:   []endpoints.Reference{userRef, passRef},
			fields: map[string]string{"user": plantedUser, "pass": plantedPassword, "x": "y"},
			want: map[string]string{"tracker_store.username": plantedUser,
				"tracker_store.password": plantedPassword}},
		{name: "transit ciphertext is decrypted",
			refs:    []endpoints.Reference{cipherRef},
			fields:  map[string]string{"enc": "vault:v1:ct"},
			decrypt: decryptOK,
			want:    map[string]string{"tracker_store.password": plantedPassword}},
		{name: "a transit reference with a plain value uses it as stored",
			refs:          []endpoints.Reference{plainTransitRef},
			fields:        map[string]string{"pass": plantedPassword},
			want:          map[string]string{"lock_store.password": plantedPassword},
			notCiphertext: []string{"lock_store.password"}},
		{name: "a field no reference uses may be an object, array or null",
			refs:        []endpoints.Reference{userRef, passRef},
			fields:      map[string]string{"user": plantedUser, "pass": plantedPassword},
			unsupported: map[string]string{"meta": "object", "tags": "array", "gone": "null"},
			want: map[string]string{"tracker_store.username": plantedUser,
				"tracker_store.password": plantedPassword}},
		{name: "a reference to an object field is refused naming the field and its type",
			refs:        []endpoints.Reference{userRef, passRef},
			fields:      map[string]string{"user": plantedUser},
			unsupported: map[string]string{"pass": "object"},
			wantErr: []string{`secret_key "pass" (at tracker_store.password) in ` +
				`secret/data/rasa-secrets is a JSON object`}},
		{name: "missing keys are all listed with the secret's field names",
			refs:   []endpoints.Reference{userRef, passRef},
			fields: map[string]string{"usr": plantedUser, "b": plantedPassword},
			wantErr: []string{`secret_key "user" (at tracker_store.username) not found in ` +
				`secret/data/rasa-secrets`, `secret_key "pass" (at tracker_store.password) ` +
				`not found`, "the secret has fields: b, usr"}},
		{name: "an empty secret says it has no fields",
			refs: []endpoints.Reference{userRef}, fields: map[string]string{},
			wantErr: []string{"the secret has no fields"}},
		{name: "an empty value is refused",
			refs:    []endpoints.Reference{userRef},
			fields:  map[string]string{"user": ""},
			wantErr: []string{`secret_key "user" (at tracker_store.username) is empty`}},
		{name: "a value decrypting to nothing is refused",
			refs: []endpoints.Reference{cipherRef}, fields: map[string]string{"enc": "vault:v1:x"},
			decrypt: decryptEmpty, wantErr: []string{"decrypts to an empty value"}},
		{name: "an unreachable transit engine stays retryable",
			refs: []endpoints.Reference{cipherRef}, fields: map[string]string{"enc": "vault:v1:x"},
			decrypt: decryptDown, wantErr: []string{`transit_key "k"`},
			wantKind: vault.ErrUnreachable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			secret := vault.Secret{Fields: tt.fields, Unsupported: tt.unsupported}
			got, notCT, err := resolveValues(context.Background(), tt.refs, secret, path,
				tt.decrypt)
			if len(tt.wantErr) > 0 {
				if err == nil {
					t.Fatalf("resolveValues succeeded with %d values, want an error", len(got))
				}
				for _, s := range tt.wantErr {
					if !strings.Contains(err.Error(), s) {
						t.Errorf("error %q lacks %q", err, s)
					}
				}
				if tt.wantKind != nil && !errors.Is(err, tt.wantKind) {
					t.Errorf("errors.Is(err, %v) = false", tt.wantKind)
				}
				if got != nil {
					t.Error("values returned alongside an error")
				}
				assertNoLeak(t, "the error", err.Error())
				return
			}
			if err != nil {
				t.Fatalf("resolveValues: %v", err)
			}
			if len(got) != len(tt.want) {
				t.Errorf("got %d values, want %d", len(got), len(tt.want))
			}
			for k, v := range tt.want {
				if got[k] != v {
					t.Errorf("value at %s is wrong", k)
				}
			}
			if strings.Join(notCT, ",") != strings.Join(tt.notCiphertext, ",") {
				t.Errorf("notCiphertext = %v, want %v", notCT, tt.notCiphertext)
			}
		})
	}
}
