package vault

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"

	vaultapi "github.com/hashicorp/vault/api"
)

// The kinds of failure callers act on differently. Test with errors.Is.
var (
	// ErrPermissionDenied: Vault answered 403. The token is invalid, expired or
	// revoked, or its policy does not allow the call. Retrying will not help.
	ErrPermissionDenied = errors.New("vault permission denied")
	// ErrNotFound: nothing at the path (404, or the latest version is deleted).
	// Retrying will not help.
	ErrNotFound = errors.New("vault path not found")
	// ErrUnreachable: no answer (connection refused, timeout, DNS) or a temporary
	// one (429, 502, 503 sealed or standby, 504). Worth a retry with backoff.
	ErrUnreachable = errors.New("vault unreachable")
)

// Error is a failed Vault call. Its message names the operation, the Vault path and a
// fix; it never contains the token or a secret value.
type Error struct {
	// Kind is ErrPermissionDenied, ErrNotFound, ErrUnreachable, or nil for any other
	// failure (a bad request, a TLS verification failure, a malformed answer).
	Kind error
	// Path is the Vault API path without /v1/, e.g. "secret/data/rasa-secrets".
	Path string
	// StatusCode is Vault's HTTP status, or 0 when there was no answer.
	StatusCode int

	msg   string
	cause error
}

// Error returns the message built for the user; see the type's doc.
func (e *Error) Error() string { return e.msg }

// Is reports whether target is this error's Kind.
func (e *Error) Is(target error) bool { return e.Kind != nil && target == e.Kind }

// Unwrap returns the underlying library or transport error, for errors.As.
func (e *Error) Unwrap() error { return e.cause }

// IsRetryable reports whether err is worth retrying: Vault could not be reached or
// answered with a temporary status.
func IsRetryable(err error) bool {
	return errors.Is(err, ErrUnreachable)
}

// hints are the user-facing sentences for the two answers whose fix depends on the
// call: what a 403 and a 404 mean for this particular operation.
type hints struct {
	denied   string
	notFound string
}

// classify turns an error from vault/api into an *Error: op says what was being done
// ("reading", "decrypting with", ...) and path is the Vault path. Every piece of text
// taken from the underlying error passes through c.redact.
func (c *Client) classify(op, path string, err error, h hints) error {
	if err == nil {
		return nil
	}
	e := &Error{Path: path, cause: err}

	var respErr *vaultapi.ResponseError
	switch {
	case errors.Is(err, context.Canceled):
		e.msg = fmt.Sprintf("%s %s: canceled", op, path)
	case errors.As(err, &respErr):
		c.classifyResponse(e, op, respErr, h)
	case isSchemeMismatch(err):
		e.msg = fmt.Sprintf("%s %s: %s does not speak TLS (%s): use http:// in the address, "+
			"or check the port", op, path, c.addr, c.redact(err.Error()))
	case isTLSVerification(err):
		e.msg = fmt.Sprintf("%s %s: the TLS certificate of %s does not verify (%s): "+
			"set VAULT_CACERT to the CA that signed it", op, path, c.addr, c.redact(err.Error()))
	case isTransport(err):
		e.Kind = ErrUnreachable
		e.msg = fmt.Sprintf("%s %s: cannot reach Vault at %s (%s): check the address and "+
			"that Vault is up and reachable from the pod", op, path, c.addr, c.redact(err.Error()))
	default:
		e.msg = fmt.Sprintf("%s %s: %s", op, path, c.redact(err.Error()))
	}
	return e
}

// classifyResponse fills e from an HTTP answer.
func (c *Client) classifyResponse(e *Error, op string, r *vaultapi.ResponseError, h hints) {
	e.StatusCode = r.StatusCode
	detail := c.redact(strings.Join(r.Errors, "; "))
	if detail == "" {
		detail = "no error text"
	}
	switch r.StatusCode {
	case http.StatusForbidden:
		e.Kind = ErrPermissionDenied
		e.msg = fmt.Sprintf("permission denied %s %s: %s", op, e.Path, h.denied)
	case http.StatusNotFound:
		e.Kind = ErrNotFound
		e.msg = h.notFound
	case http.StatusTooManyRequests, http.StatusBadGateway, http.StatusServiceUnavailable,
		http.StatusGatewayTimeout:
		e.Kind = ErrUnreachable
		e.msg = fmt.Sprintf("%s %s: Vault at %s answered %d (%s): it is sealed, a standby, "+
			"or overloaded; retry later", op, e.Path, c.addr, r.StatusCode, detail)
	default:
		e.msg = fmt.Sprintf("%s %s: Vault answered %d: %s", op, e.Path, r.StatusCode, detail)
	}
}

// isTLSVerification reports a certificate the client refused: not transient, and the
// fix (a CA file) differs from an unreachable server's.
func isTLSVerification(err error) bool {
	var unknown x509.UnknownAuthorityError
	var hostname x509.HostnameError
	var invalid x509.CertificateInvalidError
	var verify *tls.CertificateVerificationError
	return errors.As(err, &unknown) || errors.As(err, &hostname) ||
		errors.As(err, &invalid) || errors.As(err, &verify)
}

// isSchemeMismatch reports an https address pointing at a plain-HTTP port. net/http
// turns the TLS record error into an unexported error with a fixed text, hence both.
func isSchemeMismatch(err error) bool {
	var rec tls.RecordHeaderError
	return errors.As(err, &rec) ||
		strings.Contains(err.Error(), "server gave HTTP response to HTTPS client")
}

// isTransport reports a failure to get any answer: refused or reset connections,
// timeouts, DNS failures and connections closed mid-answer.
func isTransport(err error) bool {
	var netErr net.Error
	var urlErr *url.Error
	var opErr *net.OpError
	return errors.Is(err, context.DeadlineExceeded) || errors.Is(err, io.EOF) ||
		errors.Is(err, io.ErrUnexpectedEOF) || errors.As(err, &netErr) ||
		errors.As(err, &urlErr) || errors.As(err, &opErr)
}

// redact removes the client's tokens and login credentials from text that came from
// elsewhere, as a second line of defence: neither vault/api nor Vault is known to echo
// them.
func (c *Client) redact(text string) string {
	c.mu.RLock()
	defer c.mu.RUnlock()
	for _, s := range append([]string{c.token}, c.secrets...) {
		if s != "" {
			text = strings.ReplaceAll(text, s, "<redacted>")
		}
	}
	return text
}
