// Package serving runs the admission webhook's HTTPS server: net/http over TLS 1.2+
// with HTTP/2, a serving certificate read from a directory and reloaded when the files
// change, a readiness signal for /readyz, and a graceful shutdown that lets in-flight
// reviews finish.
//
// It replaces controller-runtime's webhook.Server so that the binary no longer pays for
// controller-runtime's and client-go's package initialisers in every process. It
// imports only the standard library and logr; it watches the certificate by polling
// two stat calls, not through fsnotify.
package serving
