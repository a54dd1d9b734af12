package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func readCert(t *testing.T, path string) *x509.Certificate {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(data)
	if block == nil || block.Type != "CERTIFICATE" {
		t.Fatalf("%s holds no PEM certificate", path)
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatalf("parsing %s: %v", path, err)
	}
	return cert
}

func TestCertsWritesAServingCertificateTheCAVerifies(t *testing.T) {
	out := filepath.Join(t.TempDir(), "tls")
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"certs", "--service", "rvw", "--namespace",
		"infra", "--out", out, "--host", "127.0.0.1", "--host", "localhost"}, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("exit %d, stderr: %s", code, stderr.String())
	}

	ca := readCert(t, filepath.Join(out, "ca.crt"))
	if !ca.IsCA {
		t.Error("ca.crt is not a CA certificate")
	}
	leaf := readCert(t, filepath.Join(out, "tls.crt"))
	if leaf.IsCA {
		t.Error("tls.crt is a CA certificate; a serving certificate must not be")
	}
	if !slices.Contains(leaf.ExtKeyUsage, x509.ExtKeyUsageServerAuth) {
		t.Errorf("tls.crt extended key usage %v lacks serverAuth", leaf.ExtKeyUsage)
	}
	if _, err := tls.LoadX509KeyPair(filepath.Join(out, "tls.crt"),
		filepath.Join(out, "tls.key")); err != nil {
		t.Errorf("tls.crt and tls.key are not a pair: %v", err)
	}

	roots := x509.NewCertPool()
	roots.AddCert(ca)
	names := []string{"rvw", "rvw.infra", "rvw.infra.svc", "rvw.infra.svc.cluster.local",
		"localhost", "127.0.0.1"}
	for _, name := range names {
		_, err := leaf.Verify(x509.VerifyOptions{
			DNSName: name, Roots: roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		})
		if err != nil {
			t.Errorf("tls.crt does not verify for %s: %v", name, err)
		}
	}
	_, err := leaf.Verify(x509.VerifyOptions{DNSName: "rvw.other.svc", Roots: roots})
	if err == nil {
		t.Error("tls.crt verifies for a Service in another namespace")
	}

	for _, key := range []string{"ca.key", "tls.key"} {
		info, err := os.Stat(filepath.Join(out, key))
		if err != nil {
			t.Fatal(err)
		}
		if info.Mode().Perm() != 0o600 {
			t.Errorf("%s mode %v, want 0600", key, info.Mode().Perm())
		}
	}
	if strings.Contains(stdout.String(), "PRIVATE KEY") {
		t.Error("certs printed a private key")
	}
}

func TestCertsHonoursValidity(t *testing.T) {
	out := t.TempDir()
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"certs", "--service", "s", "--namespace", "n",
		"--out", out, "--validity", "48h"}, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("exit %d, stderr: %s", code, stderr.String())
	}
	leaf := readCert(t, filepath.Join(out, "tls.crt"))
	left := time.Until(leaf.NotAfter)
	if left < 47*time.Hour || left > 48*time.Hour {
		t.Errorf("tls.crt expires in %s, want about 48h", left)
	}
}

func TestCertsRejectsBadFlags(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"a missing service is named", []string{"--namespace", "n", "--out", "d"}, "--service"},
		{"every missing flag is named", []string{"--service", "s"}, "--namespace, --out"},
		{"a negative validity is refused",
			[]string{"--service", "s", "--namespace", "n", "--out", "d", "--validity", "-1h"},
			"must be positive"},
		{"a stray argument is refused",
			[]string{"--service", "s", "--namespace", "n", "--out", "d", "extra"},
			"takes no arguments"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), append([]string{"certs"}, tt.args...),
				&stdout, &stderr)
			if code != 2 {
				t.Errorf("exit %d, want 2", code)
			}
			if !strings.Contains(stderr.String(), tt.want) {
				t.Errorf("stderr %q does not mention %q", stderr.String(), tt.want)
			}
		})
	}
}

func TestCertsKeepsAnExistingCAUnlessForced(t *testing.T) {
	out := t.TempDir()
	args := []string{"certs", "--service", "s", "--namespace", "n", "--out", out}
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), args, &stdout, &stderr); code != 0 {
		t.Fatalf("first run: exit %d, stderr: %s", code, stderr.String())
	}
	caKey, err := os.ReadFile(filepath.Join(out, "ca.key"))
	if err != nil {
		t.Fatal(err)
	}

	stderr.Reset()
	if code := run(context.Background(), args, &stdout, &stderr); code == 0 {
		t.Fatal("a second run into the same --out succeeded; want a refusal")
	}
	if !strings.Contains(stderr.String(), "--force") {
		t.Errorf("refusal %q does not name --force", stderr.String())
	}
	again, _ := os.ReadFile(filepath.Join(out, "ca.key"))
	if !bytes.Equal(again, caKey) {
		t.Fatal("the refused run replaced ca.key")
	}

	forced := append(slices.Clone(args), "--force")
	if code := run(context.Background(), forced, &stdout, &stderr); code != 0 {
		t.Fatalf("--force: exit %d, stderr: %s", code, stderr.String())
	}
	again, _ = os.ReadFile(filepath.Join(out, "ca.key"))
	if bytes.Equal(again, caKey) {
		t.Error("--force kept the old ca.key; want a new CA")
	}
}
