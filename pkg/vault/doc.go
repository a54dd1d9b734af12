// Package vault is the agent's Vault client: it reads the one KV version 2 secret
// Rasa Pro reads, decrypts Transit ciphertext the way Rasa does, logs in with the
// Kubernetes auth method, and looks up, renews and revokes its token, over TLS with a
// private CA and a client certificate when configured. Every error it returns names
// the Vault path and the likely fix and never carries a token, a login credential or
// a secret value; errors.Is tells the kinds apart (ErrPermissionDenied, ErrNotFound,
// ErrUnreachable) so callers know what is worth a retry. The renewal schedule
// (RenewDelay) and the retry backoff (RetryPolicy) are pure functions, so the loop
// that uses them can be tested with a fake clock.
package vault
