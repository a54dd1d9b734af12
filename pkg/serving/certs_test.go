package serving

import (
	"crypto/tls"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rasa-vault-webhook/rasa-vault-webhook/internal/testpki"
)

// servedCommonName returns the common name of the certificate a new TLS connection to
// addr is served, verified against ca.
func servedCommonName(t *testing.T, addr string, ca *testpki.CA) string {
	t.Helper()
	conn, err := tls.Dial("tcp", addr, ca.ClientConfig())
	if err != nil {
		t.Fatalf("TLS handshake with %s: %v", addr, err)
	}
	defer conn.Close()
	return conn.ConnectionState().PeerCertificates[0].Subject.CommonName
}

// reloadInterval is short so that tests wait milliseconds, not seconds.
const reloadInterval = 20 * time.Millisecond

func TestRotatedCertificateIsServedWithoutRestart(t *testing.T) {
	for _, tc := range []struct {
		name  string
		write func(testing.TB, string, testpki.Pair)
	}{
		{"plain files renamed into place, key first", testpki.WriteRenamed},
		{"a Secret volume whose ..data symlink is swapped", testpki.WriteSecretVolume},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ca := testpki.NewCA(t)
			dir := t.TempDir()
			tc.write(t, dir, ca.Issue(t, "first"))
			var logs logSink
			s := &Server{Addr: "127.0.0.1:0", CertDir: dir, Handler: protoHandler(),
				Logger: logs.logger(), ReloadInterval: reloadInterval}
			startServer(t, s)
			if cn := servedCommonName(t, s.BoundAddr(), ca); cn != "first" {
				t.Fatalf("served %q at start, want first", cn)
			}

			tc.write(t, dir, ca.Issue(t, "second"))
			waitFor(t, 5*time.Second, "second certificate served", func() bool {
				return servedCommonName(t, s.BoundAddr(), ca) == "second"
			})
			loaded := logs.matching(`"msg":"loaded serving certificate"`, `"commonName":"second"`)
			if len(loaded) != 1 || !strings.Contains(loaded[0], `"notAfter"`) ||
				!strings.Contains(loaded[0], `"serial"`) {
				t.Errorf("want one info line with notAfter and serial for the new "+
					"certificate, got %q", loaded)
			}
		})
	}
}

func TestBrokenReplacementKeepsServingCurrentCertificate(t *testing.T) {
	ca := testpki.NewCA(t)
	other := ca.Issue(t, "other")
	// Each case replaces one file, so no check sees a pair broken in another way.
	for _, tc := range []struct {
		name, file string
		data       []byte
		reason     string
	}{
		{"a tls.crt that is not PEM", CertFileName, []byte("garbage"), "PEM"},
		{"a half-written tls.crt", CertFileName, other.Cert[:len(other.Cert)/2], "PEM"},
		{"a tls.key of another certificate", KeyFileName, other.Key, "does not match"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			testpki.WriteRenamed(t, dir, ca.Issue(t, "first"))
			var logs logSink
			s := &Server{Addr: "127.0.0.1:0", CertDir: dir, Handler: protoHandler(),
				Logger: logs.logger(), ReloadInterval: reloadInterval}
			startServer(t, s)

			testpki.ReplaceFile(t, dir, tc.file, tc.data)
			waitFor(t, 5*time.Second, "failed reload logged", func() bool {
				return len(logs.matching(`"msg":"cannot reload serving certificate`)) > 0
			})
			time.Sleep(5 * reloadInterval) // several more failing checks
			if cn := servedCommonName(t, s.BoundAddr(), ca); cn != "first" {
				t.Errorf("served %q after a broken replacement, want first", cn)
			}
			if s.Ready() != nil {
				t.Errorf("not ready after a broken replacement: %v", s.Ready())
			}
			errs := logs.matching(`"msg":"cannot reload serving certificate`)
			if len(errs) != 1 {
				t.Fatalf("logged the same failure %d times at error level, want once", len(errs))
			}
			for _, want := range []string{`"certFile":"` + filepath.Join(dir, CertFileName),
				`"keyFile":"` + filepath.Join(dir, KeyFileName), tc.reason} {
				if !strings.Contains(errs[0], want) {
					t.Errorf("error line %s lacks %s", errs[0], want)
				}
			}

			good := ca.Issue(t, "second")
			testpki.WriteRenamed(t, dir, good)
			waitFor(t, 5*time.Second, "good replacement served", func() bool {
				return servedCommonName(t, s.BoundAddr(), ca) == "second"
			})
			assertNoKeyMaterial(t, logs.all(), other, good)
		})
	}
}

func TestMomentaryMismatchDuringRotationIsNotAnError(t *testing.T) {
	ca := testpki.NewCA(t)
	dir := t.TempDir()
	testpki.WriteRenamed(t, dir, ca.Issue(t, "first"))
	var logs logSink
	r := newCertReloader(dir, logs.logger())
	if err := r.load(); err != nil {
		t.Fatal(err)
	}

	// A check falls between the key's rename and the certificate's.
	next := ca.Issue(t, "second")
	testpki.ReplaceFile(t, dir, KeyFileName, next.Key)
	r.reload()
	if errs := logs.matching(`"error":`); len(errs) > 0 {
		t.Errorf("a mismatch seen once was logged as an error: %v", errs)
	}
	testpki.ReplaceFile(t, dir, CertFileName, next.Cert)
	r.reload()
	if cn := r.current.Load().Leaf.Subject.CommonName; cn != "second" {
		t.Errorf("loaded %q, want second", cn)
	}
	if errs := logs.matching(`"error":`); len(errs) > 0 {
		t.Errorf("a rotation logged an error: %v", errs)
	}
}

// assertNoKeyMaterial fails if any line of a private key's PEM body was logged.
func assertNoKeyMaterial(t *testing.T, logs string, pairs ...testpki.Pair) {
	t.Helper()
	if strings.Contains(logs, "PRIVATE KEY") {
		t.Error("logs contain a PEM private key header")
	}
	for _, p := range pairs {
		for _, line := range strings.Split(string(p.Key), "\n") {
			if len(line) > 16 && !strings.HasPrefix(line, "-----") && strings.Contains(logs, line) {
				t.Errorf("logs contain private key material %q", line)
			}
		}
	}
}

func TestUnchangedContentIsNotReloaded(t *testing.T) {
	ca := testpki.NewCA(t)
	dir := t.TempDir()
	pair := ca.Issue(t, "first")
	testpki.WriteSecretVolume(t, dir, pair)
	var logs logSink
	r := newCertReloader(dir, logs.logger())
	if err := r.load(); err != nil {
		t.Fatal(err)
	}
	before := r.current.Load()

	// The kubelet re-projects a Secret whose data did not change: new files, same bytes.
	testpki.WriteSecretVolume(t, dir, pair)
	changed, err := r.check()
	if err != nil || changed {
		t.Errorf("check after re-projecting the same pair = %v, %v; want false, nil", changed, err)
	}
	if r.current.Load() != before {
		t.Error("certificate replaced although its bytes did not change")
	}
	if n := len(logs.matching(`"msg":"loaded serving certificate"`)); n != 1 {
		t.Errorf("logged %d loads, want 1 (the first)", n)
	}
}

func TestStatChangedSeesRewriteInPlace(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(path, []byte("one"), 0o600); err != nil {
		t.Fatal(err)
	}
	before, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	same, _ := os.Stat(path)
	if statChanged(before, same) {
		t.Error("an untouched file reads as changed")
	}
	if err := os.WriteFile(path, []byte("three"), 0o600); err != nil {
		t.Fatal(err)
	}
	after, _ := os.Stat(path)
	if !statChanged(before, after) {
		t.Error("a file rewritten in place with another size reads as unchanged")
	}
}
