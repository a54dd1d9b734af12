package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// certsFlags are the inputs of `webhook certs`.
type certsFlags struct {
	service, namespace, out string
	hosts                   []string
	validity                time.Duration
	force                   bool
}

func parseCertsFlags(args []string, stderr io.Writer) (certsFlags, error) {
	var f certsFlags
	fs := flag.NewFlagSet("certs", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&f.service, "service", "", "name of the webhook's Service (required)")
	fs.StringVar(&f.namespace, "namespace", "", "namespace of the webhook's Service (required)")
	fs.StringVar(&f.out, "out", "",
		"directory to write ca.crt, ca.key, tls.crt and tls.key into (required)")
	fs.Func("host", "extra DNS name or IP address for the serving certificate "+
		"(repeatable; for example 127.0.0.1 for a local run)", func(v string) error {
		if v == "" {
			return errors.New("empty host")
		}
		f.hosts = append(f.hosts, v)
		return nil
	})
	// One year: long enough for a local run or a manual Secret, short enough that a lost
	// key does not stay trusted for a decade.
	fs.DurationVar(&f.validity, "validity", 365*24*time.Hour,
		"validity of the CA and the serving certificate")
	fs.BoolVar(&f.force, "force", false,
		"overwrite files already in --out (ca.key among them: the old CA is then lost)")
	if err := parseFlags(fs, args); err != nil {
		return f, err
	}
	if fs.NArg() > 0 {
		return f, fmt.Errorf("certs takes no arguments, got %q", fs.Args())
	}
	var missing []string
	for _, req := range []struct{ name, value string }{
		{"--service", f.service}, {"--namespace", f.namespace}, {"--out", f.out},
	} {
		if req.value == "" {
			missing = append(missing, req.name)
		}
	}
	if len(missing) > 0 {
		return f, fmt.Errorf("certs: missing %s", strings.Join(missing, ", "))
	}
	if f.validity <= 0 {
		return f, fmt.Errorf("certs: --validity %s must be positive", f.validity)
	}
	return f, nil
}

// runCerts writes a fresh CA and a serving certificate for the webhook's Service, for a
// local run or for the chart's existing-Secret mode.
func runCerts(args []string, stdout, stderr io.Writer) int {
	f, err := parseCertsFlags(args, stderr)
	if err != nil {
		return usageExit(err, stderr)
	}
	if err := writeCerts(f, time.Now()); err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	fmt.Fprintf(stdout, "wrote ca.crt, ca.key, tls.crt and tls.key to %s for %s\n",
		f.out, strings.Join(serviceDNSNames(f.service, f.namespace), ", "))
	return 0
}

// serviceDNSNames are the names the apiserver may use to reach a Service.
func serviceDNSNames(service, namespace string) []string {
	return []string{
		service,
		service + "." + namespace,
		service + "." + namespace + ".svc",
		service + "." + namespace + ".svc.cluster.local",
	}
}

// writeCerts makes the CA and the serving certificate and writes all four files; keys
// are readable by their owner only.
func writeCerts(f certsFlags, now time.Time) error {
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return fmt.Errorf("generating CA key: %w", err)
	}
	// Backdate a little so a clock a few minutes behind still accepts the certificates.
	notBefore := now.Add(-5 * time.Minute)
	notAfter := now.Add(f.validity)
	caTmpl := &x509.Certificate{
		SerialNumber:          randomSerial(),
		Subject:               pkix.Name{CommonName: f.service + "." + f.namespace + " webhook CA"},
		NotBefore:             notBefore,
		NotAfter:              notAfter,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return fmt.Errorf("signing CA certificate: %w", err)
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		return fmt.Errorf("parsing CA certificate: %w", err)
	}

	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return fmt.Errorf("generating serving key: %w", err)
	}
	dnsNames := serviceDNSNames(f.service, f.namespace)
	var ips []net.IP
	for _, h := range f.hosts {
		if ip := net.ParseIP(h); ip != nil {
			ips = append(ips, ip)
			continue
		}
		dnsNames = append(dnsNames, h)
	}
	tmpl := &x509.Certificate{
		SerialNumber: randomSerial(),
		Subject:      pkix.Name{CommonName: dnsNames[2]},
		DNSNames:     dnsNames,
		IPAddresses:  ips,
		NotBefore:    notBefore,
		NotAfter:     notAfter,
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		return fmt.Errorf("signing serving certificate: %w", err)
	}

	if err := os.MkdirAll(f.out, 0o755); err != nil {
		return fmt.Errorf("creating %s: %w", f.out, err)
	}
	if !f.force {
		for _, name := range []string{"ca.crt", "ca.key", "tls.crt", "tls.key"} {
			path := filepath.Join(f.out, name)
			if _, err := os.Lstat(path); err == nil {
				return fmt.Errorf("%s exists: a second run would replace the CA that "+
					"deployed caBundles trust; pick another --out or pass --force", path)
			}
		}
	}
	files := []struct {
		name  string
		block func() (*pem.Block, error)
		mode  os.FileMode
	}{
		{"ca.crt", certBlock(caDER), 0o644},
		{"ca.key", keyBlock(caKey), 0o600},
		{"tls.crt", certBlock(der), 0o644},
		{"tls.key", keyBlock(key), 0o600},
	}
	for _, file := range files {
		block, err := file.block()
		if err != nil {
			return fmt.Errorf("encoding %s: %w", file.name, err)
		}
		path := filepath.Join(f.out, file.name)
		if err := os.WriteFile(path, pem.EncodeToMemory(block), file.mode); err != nil {
			return fmt.Errorf("writing %s: %w", path, err)
		}
	}
	return nil
}

func certBlock(der []byte) func() (*pem.Block, error) {
	return func() (*pem.Block, error) { return &pem.Block{Type: "CERTIFICATE", Bytes: der}, nil }
}

func keyBlock(key *ecdsa.PrivateKey) func() (*pem.Block, error) {
	return func() (*pem.Block, error) {
		der, err := x509.MarshalPKCS8PrivateKey(key)
		if err != nil {
			return nil, err
		}
		return &pem.Block{Type: "PRIVATE KEY", Bytes: der}, nil
	}
}

// randomSerial returns a 128-bit random serial number, as RFC 5280 asks for uniqueness.
func randomSerial() *big.Int {
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
	if err != nil {
		// crypto/rand does not fail on supported platforms (Go 1.24+ crashes instead).
		panic(fmt.Sprintf("reading random serial: %v", err))
	}
	return serial
}
