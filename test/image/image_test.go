package image

import (
	"bufio"
	"context"
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/rasa-vault-webhook/rasa-vault-webhook/test/harness"
)

// dockerInstructions returns the Dockerfile's instructions, continuation lines joined.
func dockerInstructions(t *testing.T, root string) []string {
	t.Helper()
	f, err := os.Open(filepath.Join(root, "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []string
	var cur strings.Builder
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if cur.Len() == 0 && (line == "" || strings.HasPrefix(line, "#")) {
			continue
		}
		if more, ok := strings.CutSuffix(line, "\\"); ok {
			cur.WriteString(more + " ")
			continue
		}
		cur.WriteString(line)
		out = append(out, cur.String())
		cur.Reset()
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// The Dockerfile must take its build flags from `make build`, the target this package
// runs, so the two cannot drift apart.
func TestDockerfileBuildsThroughTheMakefileOntoDistrolessNonroot(t *testing.T) {
	root, err := harness.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	instructions := dockerInstructions(t, root)

	var froms, runs []string
	var entrypoint, user string
	copiesBinary := false
	for _, in := range instructions {
		word, rest, _ := strings.Cut(in, " ")
		switch strings.ToUpper(word) {
		case "FROM":
			froms = append(froms, rest)
		case "RUN":
			runs = append(runs, rest)
		case "ENTRYPOINT":
			entrypoint = rest
		case "USER":
			user = rest
		case "COPY":
			if strings.HasPrefix(rest, "--from=build ") && strings.HasSuffix(rest, " /webhook") {
				copiesBinary = true
			}
		}
	}

	if len(froms) != 2 {
		t.Errorf("%d FROM lines, want a build stage and a runtime stage", len(froms))
	}
	building := 0
	for _, r := range runs {
		if strings.Contains(r, "go build") {
			t.Errorf("RUN %q calls go build directly; use make build", r)
		}
		if strings.HasPrefix(r, "make build ") {
			building++
		}
	}
	if building != 1 {
		t.Errorf("%d RUN make build lines, want 1 (runs: %q)", building, runs)
	}
	if !copiesBinary {
		t.Error("the runtime stage does not copy the binary to /webhook")
	}
	if entrypoint != `["/webhook"]` {
		t.Errorf("ENTRYPOINT %s, want [\"/webhook\"] (injected containers run /webhook agent)",
			entrypoint)
	}
	if user != "65532:65532" {
		t.Errorf("USER %q, want distroless nonroot 65532:65532", user)
	}
	runtime := regexp.MustCompile(`(?m)^ARG RUNTIME_IMAGE=(\S+)$`)
	data, _ := os.ReadFile(filepath.Join(root, "Dockerfile"))
	m := runtime.FindSubmatch(data)
	if m == nil || !strings.Contains(string(m[1]), "distroless/static") ||
		!strings.HasSuffix(string(m[1]), ":nonroot") {
		t.Errorf("runtime base %q, want distroless static :nonroot", m)
	}
}

// The binary make build produces is static (no ELF interpreter, no shared libraries),
// built without cgo and with -trimpath, and reports the stamped version.
func TestMakeBuildProducesAStaticStampedBinary(t *testing.T) {
	root, err := harness.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	bin := filepath.Join(t.TempDir(), "webhook")
	const version, commit = "v0.0.0-imagetest", "feedc0de"
	cmd := exec.CommandContext(ctx, "make", "--no-print-directory", "build", "BIN="+bin,
		"VERSION="+version, "COMMIT="+commit)
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("make build: %v\n%s", err, out)
	}

	info, err := exec.CommandContext(ctx, "go", "version", "-m", bin).CombinedOutput()
	if err != nil {
		t.Fatalf("go version -m: %v\n%s", err, info)
	}
	for _, want := range []string{
		"build\tCGO_ENABLED=0",
		"build\t-trimpath=true",
	} {
		if !strings.Contains(string(info), want) {
			t.Errorf("go version -m lacks %q:\n%s", want, info)
		}
	}

	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Error("the binary has an ELF interpreter: it is dynamically linked")
		}
	}
	libs, err := f.ImportedLibraries()
	if err != nil {
		t.Fatal(err)
	}
	if len(libs) > 0 {
		t.Errorf("the binary needs shared libraries %v", libs)
	}

	// go version -m leaves -ldflags out of a -trimpath build, so the stamp is checked by
	// running the binary.
	out, err := exec.CommandContext(ctx, bin, "version").CombinedOutput()
	if err != nil {
		t.Fatalf("webhook version: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), version) || !strings.Contains(string(out), commit) {
		t.Errorf("webhook version printed %q, want %s and %s", out, version, commit)
	}
}
