package inject

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestREADMEDocumentsEveryAnnotation checks the README's annotation table against the
// code both ways: every Annotation* constant of this package is in Annotations and has
// a row, and every row names an annotation the code knows.
func TestREADMEDocumentsEveryAnnotation(t *testing.T) {
	constants := annotationConstants(t)
	if len(constants) < 10 {
		t.Fatalf("found only %d annotation constants: is the parser looking in the "+
			"right place?", len(constants))
	}
	for name, value := range constants {
		if !slices.Contains(Annotations, value) {
			t.Errorf("constant %s (%s) is missing from Annotations", name, value)
		}
	}

	rows := readmeAnnotationRows(t)
	for _, a := range Annotations {
		if !slices.Contains(rows, a) {
			t.Errorf("README's \"Opting a pod in\" table has no row for %s", a)
		}
	}
	for _, r := range rows {
		if !slices.Contains(Annotations, r) {
			t.Errorf("README documents %s, which the code does not know", r)
		}
	}
}

// annotationConstants parses the package's non-test files and returns the value of
// every constant named Annotation<Something> except AnnotationPrefix.
func annotationConstants(t *testing.T) map[string]string {
	t.Helper()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	fset := token.NewFileSet()
	for _, path := range files {
		if strings.HasSuffix(path, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, decl := range file.Decls {
			gen, ok := decl.(*ast.GenDecl)
			if !ok || gen.Tok != token.CONST {
				continue
			}
			for _, spec := range gen.Specs {
				for _, name := range spec.(*ast.ValueSpec).Names {
					if !strings.HasPrefix(name.Name, "Annotation") ||
						name.Name == "AnnotationPrefix" {
						continue
					}
					out[name.Name] = constantValue(t, name.Name)
				}
			}
		}
	}
	return out
}

// constantValue maps a constant's name to its value; a new constant must be added
// here as well as to Annotations, which keeps the list deliberate.
func constantValue(t *testing.T, name string) string {
	t.Helper()
	values := map[string]string{
		"AnnotationInject": AnnotationInject, "AnnotationConfigMap": AnnotationConfigMap,
		"AnnotationContainer": AnnotationContainer, "AnnotationStatus": AnnotationStatus,
		"AnnotationAuthMethod": AnnotationAuthMethod, "AnnotationAuthRole": AnnotationAuthRole,
		"AnnotationAuthPath": AnnotationAuthPath, "AnnotationTokenSecret": AnnotationTokenSecret,
		"AnnotationAgentSidecar":       AnnotationAgentSidecar,
		"AnnotationRefreshInterval":    AnnotationRefreshInterval,
		"AnnotationAgentCPURequest":    AnnotationAgentCPURequest,
		"AnnotationAgentMemoryRequest": AnnotationAgentMemoryRequest,
		"AnnotationAgentCPULimit":      AnnotationAgentCPULimit,
		"AnnotationAgentMemoryLimit":   AnnotationAgentMemoryLimit,
		"AnnotationAgentImage":         AnnotationAgentImage,
	}
	v, ok := values[name]
	if !ok {
		t.Errorf("constant %s is new: add it to Annotations, the README table and "+
			"constantValue", name)
		return "<" + name + ">"
	}
	return v
}

// readmeAnnotationRows returns the annotation of every row of the table in the
// README's "Opting a pod in" section.
func readmeAnnotationRows(t *testing.T) []string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	text := string(data)
	start := strings.Index(text, "### Opting a pod in")
	if start < 0 {
		t.Fatal("README.md has no \"### Opting a pod in\" section")
	}
	section := text[start:]
	if end := strings.Index(section[1:], "\n## "); end >= 0 {
		section = section[:end+1]
	}

	row := regexp.MustCompile("(?m)^\\| `(" + regexp.QuoteMeta(AnnotationPrefix) +
		"[^`]+)` \\|")
	var rows []string
	for _, m := range row.FindAllStringSubmatch(section, -1) {
		rows = append(rows, m[1])
	}
	if len(rows) == 0 {
		t.Fatal("the README section has no annotation rows")
	}
	return rows
}
