package agent

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// outputMode is the mode of every written file: readable by the owner and the group
// (the pod's fsGroup), so the assistant can read it whatever its user, and by no one
// else; nobody needs to write it in place since updates replace it.
const outputMode fs.FileMode = 0o440

// dirMode is the mode of directories created under the output directory; they hold
// no secrets themselves.
const dirMode fs.FileMode = 0o755

// maxFileSize caps what is read from the source directory. A ConfigMap holds at most
// 1 MiB in all, so anything bigger is not one.
const maxFileSize = 4 << 20

// maxDepth bounds the walk of the source directory, which follows symlinks.
const maxDepth = 8

// outFile is one file to write: its path relative to the output directory and bytes.
type outFile struct {
	rel  string
	data []byte
}

// readLimited reads a whole file, refusing one larger than maxFileSize.
func readLimited(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer func() { _ = f.Close() }()
	data, err := io.ReadAll(io.LimitReader(f, maxFileSize+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxFileSize {
		return nil, fmt.Errorf("%s is larger than %d bytes, too large for a ConfigMap file",
			path, maxFileSize)
	}
	return data, nil
}

// collectOthers reads every regular file under dir except skip (a relative path),
// following symlinks and ignoring names that start with "..": a ConfigMap volume holds
// its files in a hidden ..<timestamp> directory reached through a ..data symlink, with
// one symlink per key at the top.
func collectOthers(dir, skip string) ([]outFile, error) {
	var out []outFile
	err := walkRegular(dir, "", 0, func(rel string) error {
		if rel == filepath.Clean(skip) {
			return nil
		}
		data, err := readLimited(filepath.Join(dir, rel))
		if err != nil {
			return fmt.Errorf("reading %s from the source directory: %w", rel, err)
		}
		out = append(out, outFile{rel: rel, data: data})
		return nil
	})
	return out, err
}

// walkRegular calls fn with the relative path of each regular file under root/rel.
func walkRegular(root, rel string, depth int, fn func(rel string) error) error {
	if depth > maxDepth {
		return fmt.Errorf("the source directory nests deeper than %d levels at %s "+
			"(a symlink loop?)", maxDepth, rel)
	}
	entries, err := os.ReadDir(filepath.Join(root, rel))
	if err != nil {
		return fmt.Errorf("listing the source directory: %w", err)
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), "..") {
			continue
		}
		child := filepath.Join(rel, e.Name())
		info, err := os.Stat(filepath.Join(root, child))
		if err != nil {
			return fmt.Errorf("reading %s from the source directory: %w", child, err)
		}
		switch {
		case info.IsDir():
			if err := walkRegular(root, child, depth+1, fn); err != nil {
				return err
			}
		case info.Mode().IsRegular():
			if err := fn(child); err != nil {
				return err
			}
		}
	}
	return nil
}

// writeFiles writes every file that differs from what dir already holds, all or
// nothing as far as the file system allows: each goes to a temp file in its target
// directory (synced, mode 0440), and only when all are ready are they renamed into
// place. On error the temp files are removed and earlier output is left as it was.
// It returns the relative paths it replaced.
func writeFiles(dir string, files []outFile) ([]string, error) {
	type pending struct{ tmp, dst, rel string }
	var ready []pending
	cleanup := func() {
		for _, p := range ready {
			_ = os.Remove(p.tmp)
		}
	}

	for _, f := range files {
		dst := filepath.Join(dir, f.rel)
		if same, err := sameContent(dst, f.data); err != nil {
			cleanup()
			return nil, err
		} else if same {
			continue
		}
		tmp, err := writeTemp(dst, f.data)
		if err != nil {
			cleanup()
			return nil, fmt.Errorf("writing %s: %w", dst, err)
		}
		ready = append(ready, pending{tmp: tmp, dst: dst, rel: f.rel})
	}

	var written []string
	for i, p := range ready {
		if err := os.Rename(p.tmp, p.dst); err != nil {
			for _, rest := range ready[i:] {
				_ = os.Remove(rest.tmp)
			}
			return written, fmt.Errorf("moving the new %s into place: %w", p.dst, err)
		}
		if err := syncDir(filepath.Dir(p.dst)); err != nil {
			return written, err
		}
		written = append(written, p.rel)
	}
	return written, nil
}

// sameContent reports whether path already holds exactly data.
func sameContent(path string, data []byte) (bool, error) {
	old, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("reading the current %s: %w", path, err)
	}
	return bytes.Equal(old, data), nil
}

// writeTemp writes data to a new hidden temp file beside dst and returns its path.
func writeTemp(dst string, data []byte) (string, error) {
	if err := os.MkdirAll(filepath.Dir(dst), dirMode); err != nil {
		return "", err
	}
	f, err := os.CreateTemp(filepath.Dir(dst), ".rvw-"+filepath.Base(dst)+"-*.tmp")
	if err != nil {
		return "", err
	}
	tmp := f.Name()
	fail := func(err error) (string, error) {
		_ = f.Close()
		_ = os.Remove(tmp)
		return "", err
	}
	if _, err := f.Write(data); err != nil {
		return fail(err)
	}
	if err := f.Chmod(outputMode); err != nil {
		return fail(err)
	}
	if err := f.Sync(); err != nil {
		return fail(err)
	}
	if err := f.Close(); err != nil {
		_ = os.Remove(tmp)
		return "", err
	}
	return tmp, nil
}

// syncDir makes a rename in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("syncing %s: %w", dir, err)
	}
	defer func() { _ = d.Close() }()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("syncing %s: %w", dir, err)
	}
	return nil
}
