package testpki

import (
	"crypto/tls"
	"testing"
)

// Pair is one PEM certificate and its PEM (PKCS #8) private key: what tls.crt and
// tls.key hold.
type Pair struct {
	Cert, Key []byte
}

// TLSCertificate returns the pair ready for a tls.Config.
func (p Pair) TLSCertificate(t testing.TB) tls.Certificate {
	t.Helper()
	cert, err := tls.X509KeyPair(p.Cert, p.Key)
	if err != nil {
		t.Fatal(err)
	}
	return cert
}
