package testpki

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// The file names of a kubernetes.io/tls Secret, which a serving directory holds.
const (
	CertFile = "tls.crt"
	KeyFile  = "tls.key"
)

// WriteFile writes data to path, readable by the owner only, and returns path.
func WriteFile(t testing.TB, path string, data []byte) string {
	t.Helper()
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// ReplaceFile replaces dir/name with data at once: it writes a temporary file beside
// it and renames that over the old one, so a reader never sees a half-written file.
func ReplaceFile(t testing.TB, dir, name string, data []byte) {
	t.Helper()
	tmp := WriteFile(t, filepath.Join(dir, "."+name+".tmp"), data)
	if err := os.Rename(tmp, filepath.Join(dir, name)); err != nil {
		t.Fatal(err)
	}
}

// WriteRenamed replaces tls.key, then tls.crt, in dir, each with ReplaceFile, as a
// tool rotating plain files would.
func WriteRenamed(t testing.TB, dir string, p Pair) {
	t.Helper()
	ReplaceFile(t, dir, KeyFile, p.Key)
	ReplaceFile(t, dir, CertFile, p.Cert)
}

// WriteSecretVolume updates dir the way the kubelet updates a Secret volume: the pair
// goes into a new timestamped directory, the ..data symlink is swapped to it by a
// rename, and tls.crt and tls.key are symlinks through ..data.
func WriteSecretVolume(t testing.TB, dir string, p Pair) {
	t.Helper()
	stamp := time.Now().Format("2006_01_02_15_04_05.000000000")
	ts := filepath.Join(dir, fmt.Sprintf("..%s", stamp))
	if err := os.Mkdir(ts, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(ts, CertFile), p.Cert, 0o644); err != nil {
		t.Fatal(err)
	}
	WriteFile(t, filepath.Join(ts, KeyFile), p.Key)

	old, _ := os.Readlink(filepath.Join(dir, "..data"))
	tmpLink := filepath.Join(dir, "..data_tmp")
	if err := os.Symlink(filepath.Base(ts), tmpLink); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmpLink, filepath.Join(dir, "..data")); err != nil {
		t.Fatal(err)
	}

	for _, name := range []string{CertFile, KeyFile} {
		link := filepath.Join(dir, name)
		if _, err := os.Lstat(link); err == nil {
			continue
		}
		if err := os.Symlink(filepath.Join("..data", name), link); err != nil {
			t.Fatal(err)
		}
	}
	if old != "" {
		if err := os.RemoveAll(filepath.Join(dir, old)); err != nil {
			t.Fatal(err)
		}
	}
}
