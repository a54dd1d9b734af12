package agent

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// kubeletLayout builds a ConfigMap volume the way the kubelet's atomic writer does:
// the data in a hidden timestamped directory, a ..data symlink to it, and one symlink
// per top-level key.
func kubeletLayout(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	const stamp = "..2026_12_04_12_00_00.123456789"
	tops := map[string]bool{}
	for rel, content := range files {
		p := filepath.Join(dir, stamp, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		tops[strings.Split(rel, "/")[0]] = true
	}
	if err := os.Symlink(stamp, filepath.Join(dir, "..data")); err != nil {
		t.Fatal(err)
	}
	for top := range tops {
		if err := os.Symlink(filepath.Join("..data", top), filepath.Join(dir, top)); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestCollectOthersFollowsTheKubeletLayout(t *testing.T) {
	dir := kubeletLayout(t, map[string]string{
		"endpoints.yml":      "tracker_store: {}\n",
		"credentials.yml":    "rest:\n",
		"nested/domain.yml":  "version: \"3.1\"\n",
		"nested/rules.yml":   "rules: []\n",
		"nested/deeper/x.md": "x\n",
	})

	got, err := collectOthers(dir, "endpoints.yml")
	if err != nil {
		t.Fatalf("collectOthers: %v", err)
	}
	var names []string
	for _, f := range got {
		names = append(names, f.rel)
	}
	want := "credentials.yml,nested/deeper/x.md,nested/domain.yml,nested/rules.yml"
	if strings.Join(names, ",") != want {
		t.Errorf("collected %v, want %s (no ..data, no ..timestamp, no endpoints.yml)",
			names, want)
	}
	for _, f := range got {
		if f.rel == "credentials.yml" && string(f.data) != "rest:\n" {
			t.Errorf("credentials.yml content = %q", f.data)
		}
	}
}

func TestCollectOthersStopsAtASymlinkLoop(t *testing.T) {
	dir := t.TempDir()
	if err := os.Symlink(".", filepath.Join(dir, "loop")); err != nil {
		t.Fatal(err)
	}
	_, err := collectOthers(dir, "endpoints.yml")
	if err == nil || !strings.Contains(err.Error(), "symlink loop") {
		t.Fatalf("err = %v, want one about a symlink loop", err)
	}
}

func TestWriteFilesIsAtomicAndReadOnly(t *testing.T) {
	out := t.TempDir()
	files := []outFile{
		{rel: "endpoints.yml", data: []byte("a: \"1\"\n")},
		{rel: "sub/dir/credentials.yml", data: []byte("rest:\n")},
	}

	written, err := writeFiles(out, files)
	if err != nil {
		t.Fatalf("writeFiles: %v", err)
	}
	if strings.Join(written, ",") != "endpoints.yml,sub/dir/credentials.yml" {
		t.Errorf("written = %v", written)
	}
	for _, f := range files {
		info, err := os.Stat(filepath.Join(out, f.rel))
		if err != nil {
			t.Fatal(err)
		}
		if info.Mode().Perm() != 0o440 {
			t.Errorf("%s mode = %v, want 0440", f.rel, info.Mode().Perm())
		}
	}

	t.Run("unchanged content is not rewritten", func(t *testing.T) {
		before, _ := os.Stat(filepath.Join(out, "endpoints.yml"))
		written, err := writeFiles(out, files)
		if err != nil || len(written) != 0 {
			t.Fatalf("second write: written %v, err %v; want nothing written", written, err)
		}
		after, _ := os.Stat(filepath.Join(out, "endpoints.yml"))
		if !os.SameFile(before, after) {
			t.Error("the unchanged file was replaced")
		}
	})

	t.Run("a failure leaves every earlier file as it was and no temp files", func(t *testing.T) {
		if err := os.WriteFile(filepath.Join(out, "blocker"), nil, 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := writeFiles(out, []outFile{
			{rel: "endpoints.yml", data: []byte("a: \"2\"\n")},
			{rel: "blocker/credentials.yml", data: []byte("rest:\n")},
		})
		if err == nil {
			t.Fatal("writeFiles succeeded through a file in the way")
		}
		if got := readFile(t, filepath.Join(out, "endpoints.yml")); got != "a: \"1\"\n" {
			t.Errorf("endpoints.yml changed to %q despite the failure", got)
		}
		entries, _ := os.ReadDir(out)
		for _, e := range entries {
			if strings.HasPrefix(e.Name(), ".rvw-") {
				t.Errorf("temp file %s left behind", e.Name())
			}
		}
	})
}
