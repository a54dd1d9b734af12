package serving

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	"github.com/go-logr/logr"
)

// The file names of a kubernetes.io/tls Secret, as a Secret volume projects them.
const (
	CertFileName = "tls.crt"
	KeyFileName  = "tls.key"
)

// certReloader holds the serving certificate and replaces it when the files in its
// directory change. GetCertificate may be called from any goroutine; the rest only
// from one goroutine at a time (load before run, then run).
type certReloader struct {
	certFile, keyFile string
	log               logr.Logger

	current atomic.Pointer[tls.Certificate]

	// Owned by the goroutine calling check.
	certStat, keyStat os.FileInfo // the files whose content is being served
	sum               [sha256.Size]byte
	pendingErr        string // the failure of the last check
	loggedErr         string // the failure last logged at error level
}

func newCertReloader(dir string, log logr.Logger) *certReloader {
	return &certReloader{
		certFile: filepath.Join(dir, CertFileName),
		keyFile:  filepath.Join(dir, KeyFileName),
		log:      log,
	}
}

// GetCertificate returns the certificate loaded last; it is tls.Config.GetCertificate.
func (r *certReloader) GetCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	return r.current.Load(), nil
}

// load reads the pair for the first time. Its errors name the file and the fix, since
// they end the process at start-up.
func (r *certReloader) load() error {
	_, err := r.check()
	return err
}

// run checks the files every interval until ctx ends.
func (r *certReloader) run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			r.reload()
		}
	}
}

// reload loads the pair if it changed. A pair that cannot be loaded (missing,
// half-written, key not matching) leaves the current certificate in place and is tried
// again at the next tick.
//
// A failure is logged at error level only when the next check fails the same way: a
// tool that renames the key into place before the certificate leaves a mismatched pair
// for a moment, which is not worth an error. It is logged once, and again only when the
// failure changes, so a Secret left broken does not log every tick.
func (r *certReloader) reload() {
	_, err := r.check()
	if err == nil {
		r.pendingErr, r.loggedErr = "", ""
		return
	}

	reason := err.Error()
	if reason == r.loggedErr || reason != r.pendingErr {
		r.pendingErr = reason
		r.log.V(1).Info("serving certificate not loadable, keeping the current one",
			"certFile", r.certFile, "keyFile", r.keyFile, "reason", reason)
		return
	}
	r.loggedErr = reason
	r.log.Error(err, "cannot reload serving certificate, keeping the current one",
		"certFile", r.certFile, "keyFile", r.keyFile)
}

// check loads the pair if either file changed since the last successful load, and
// reports whether it replaced the certificate. Two stat calls decide whether the files
// changed: a Secret volume's update swaps the ..data symlink to new files, and a
// rename or rewrite in place changes the inode, size or mtime. The files are read only
// then, and a pair whose bytes did not change is not reloaded or logged.
func (r *certReloader) check() (bool, error) {
	// Stat before reading: if a file changes in between, the recorded stat is the
	// older one and the next check reads the file again.
	certStat, err := os.Stat(r.certFile)
	if err != nil {
		return false, fileError(r.certFile, "certificate", err)
	}
	keyStat, err := os.Stat(r.keyFile)
	if err != nil {
		return false, fileError(r.keyFile, "private key", err)
	}
	if !statChanged(r.certStat, certStat) && !statChanged(r.keyStat, keyStat) {
		return false, nil
	}

	certPEM, err := os.ReadFile(r.certFile)
	if err != nil {
		return false, fileError(r.certFile, "certificate", err)
	}
	keyPEM, err := os.ReadFile(r.keyFile)
	if err != nil {
		return false, fileError(r.keyFile, "private key", err)
	}
	sum := pairSum(certPEM, keyPEM)
	if r.current.Load() != nil && sum == r.sum {
		r.certStat, r.keyStat = certStat, keyStat
		return false, nil
	}

	// X509KeyPair's errors describe the PEM structure or the mismatch, never the key.
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return false, fmt.Errorf("loading certificate %s with key %s: %w; both must be "+
			"PEM, tls.key the private key of tls.crt's first certificate (the tls.crt "+
			"and tls.key of one kubernetes.io/tls Secret)", r.certFile, r.keyFile, err)
	}

	r.current.Store(&cert)
	r.certStat, r.keyStat, r.sum = certStat, keyStat, sum
	// Go 1.23+ fills Leaf in X509KeyPair.
	r.log.Info("loaded serving certificate", "certFile", r.certFile,
		"commonName", cert.Leaf.Subject.CommonName, "dnsNames", cert.Leaf.DNSNames,
		"serial", cert.Leaf.SerialNumber.Text(16), "notAfter", cert.Leaf.NotAfter)
	return true, nil
}

// fileError says which file is wrong and what the directory must hold.
func fileError(path, what string, err error) error {
	if errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("reading %s %s: %w; the certificate directory must hold the "+
			"PEM files %s and %s (mount a kubernetes.io/tls Secret there)",
			what, path, err, CertFileName, KeyFileName)
	}
	return fmt.Errorf("reading %s %s: %w", what, path, err)
}

// statChanged reports whether a file differs from the one seen before: another file
// (a rename or symlink swap), or the same file rewritten.
func statChanged(before, now os.FileInfo) bool {
	return before == nil || !os.SameFile(before, now) || before.Size() != now.Size() ||
		!before.ModTime().Equal(now.ModTime())
}

// pairSum hashes the pair so the key's bytes are not kept beside the parsed key.
func pairSum(certPEM, keyPEM []byte) [sha256.Size]byte {
	h := sha256.New()
	h.Write(certPEM)
	h.Write([]byte{0}) // PEM never holds a NUL, so the split point is unambiguous
	h.Write(keyPEM)
	var sum [sha256.Size]byte
	copy(sum[:], h.Sum(nil))
	return sum
}
