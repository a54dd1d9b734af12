// Package vaultconfig works out the Vault settings an assistant would use, the way
// Rasa Pro does: the secrets_manager section of endpoints.yml merged field by field with
// the VAULT_* environment variables (a non-empty variable wins), Rasa's defaults filled
// in, and every setting checked with an error that names the field, where it can be set,
// and the fix.
//
// The manager type is compared exactly, as Rasa does (rasa/core/secrets_manager/
// factory.py compares it with == "vault"): "Vault" or "VAULT" would make Rasa start
// without a secrets manager, so here they are an error saying to write "vault".
//
// Nothing in this package prints the token: errors, warnings and Redacted only say
// whether it is set.
package vaultconfig
