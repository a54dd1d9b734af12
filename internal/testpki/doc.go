// Package testpki makes throwaway certificate authorities, certificates and the
// tls.crt/tls.key files that tests of the serving, Kubernetes and Vault clients need.
//
// It is for tests only: every function fails the test it is given instead of returning
// an error, and no package outside _test.go files may import it.
package testpki
