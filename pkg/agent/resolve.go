package agent

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/rasa-vault-webhook/rasa-vault-webhook/pkg/endpoints"
	"github.com/rasa-vault-webhook/rasa-vault-webhook/pkg/vault"
)

// decryptFunc decrypts one reference's Transit ciphertext.
type decryptFunc func(ctx context.Context, ref endpoints.Reference, ciphertext string) (
	string, error)

// resolveValues picks each reference's value out of the secret's fields, decrypting
// Transit ciphertext where the reference names a transit_key, as Rasa does. It fails
// on any field that is absent, ends up empty or is not a string, number or boolean
// (only fields a reference uses matter, as in Rasa), listing all of them at once;
// messages name secret keys, reference paths, the secret's field names and JSON types,
// never a value.
// notCiphertext lists the paths of references with a transit_key whose value is not
// ciphertext and was used as stored (Rasa does the same).
func resolveValues(ctx context.Context, refs []endpoints.Reference, secret vault.Secret,
	secretPath string, decrypt decryptFunc) (values map[string]string, notCiphertext []string,
	err error) {
	values = make(map[string]string, len(refs))
	var missing []string
	var errs []error
	for _, ref := range refs {
		if typ, bad := secret.Unsupported[ref.SecretKey]; bad {
			errs = append(errs, fmt.Errorf("secret_key %q (at %s) in %s is a JSON %s, "+
				"not a string, number or boolean; store the credential as a string",
				ref.SecretKey, ref.Path, secretPath, typ))
			continue
		}
		v, ok := secret.Fields[ref.SecretKey]
		if !ok {
			missing = append(missing, fmt.Sprintf("secret_key %q (at %s) not found in %s",
				ref.SecretKey, ref.Path, secretPath))
			continue
		}
		decrypted := false
		if ref.TransitKey != "" && vault.IsTransitCiphertext(v) {
			plain, err := decrypt(ctx, ref, v)
			if err != nil {
				errs = append(errs, fmt.Errorf("decrypting secret_key %q (at %s) with "+
					"transit_key %q: %w", ref.SecretKey, ref.Path, ref.TransitKey, err))
				continue
			}
			v, decrypted = plain, true
		} else if ref.TransitKey != "" {
			notCiphertext = append(notCiphertext, ref.Path)
		}
		if v == "" {
			errs = append(errs, emptyValueError(ref, secretPath, decrypted))
			continue
		}
		values[ref.Path] = v
	}
	if len(missing) > 0 {
		errs = append([]error{fmt.Errorf("%s; %s", strings.Join(missing, "; "),
			describeFields(secret))}, errs...)
	}
	if len(errs) > 0 {
		return nil, nil, errors.Join(errs...)
	}
	return values, notCiphertext, nil
}

// emptyValueError refuses an empty value: an assistant given an empty password fails
// in confusing ways, and a blank credential must never be written.
func emptyValueError(ref endpoints.Reference, secretPath string, decrypted bool) error {
	if decrypted {
		return fmt.Errorf("secret_key %q (at %s) in %s decrypts to an empty value; "+
			"encrypt the real value with transit_key %q", ref.SecretKey, ref.Path, secretPath,
			ref.TransitKey)
	}
	return fmt.Errorf("secret_key %q (at %s) is empty in %s; store a non-empty value",
		ref.SecretKey, ref.Path, secretPath)
}

// describeFields lists the secret's field names (names only) to help spot a typo.
func describeFields(secret vault.Secret) string {
	names := secret.Names()
	if len(names) == 0 {
		return "the secret has no fields"
	}
	return "the secret has fields: " + strings.Join(names, ", ")
}

// needsTransit reports whether any reference names a transit_key.
func needsTransit(refs []endpoints.Reference) bool {
	for _, r := range refs {
		if r.TransitKey != "" {
			return true
		}
	}
	return false
}
