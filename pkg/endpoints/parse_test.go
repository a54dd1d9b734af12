package endpoints

import (
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestParseAcceptsEmptyDocuments(t *testing.T) {
	tests := []struct {
		name string
		in   string
	}{
		{"an empty file is an empty document", ""},
		{"a file with only comments is an empty document", "# nothing configured yet\n"},
		{"a file holding only null is an empty document", "~\n"},
		{"an empty mapping is an empty document", "{}\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc, err := Parse([]byte(tt.in))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if refs := doc.References(); len(refs) != 0 {
				t.Errorf("References = %v, want none", refs)
			}
			if p := doc.Problems(); len(p) != 0 {
				t.Errorf("Problems = %v, want none", p)
			}
			if _, present, err := doc.SecretsManager(nil); present || err != nil {
				t.Errorf("SecretsManager present=%v err=%v, want absent", present, err)
			}
			out, err := doc.Render(nil)
			if err != nil {
				t.Fatalf("Render: %v", err)
			}
			if strings.Contains(string(out), "secrets_manager") {
				t.Errorf("Render = %q", out)
			}
		})
	}
}

func TestParseRejectsBadFilesWithTheLine(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []string
	}{
		{"an unclosed list names its line", "a: 1\nb: 2\nc: [\n",
			[]string{"endpoints.yml line 3:"}},
		{"a badly indented key names its line", "a: 1\nb:\n  c: 1\n d: 2\n",
			[]string{"endpoints.yml line 3:"}},
		{"a tab in the indentation names its line", "a: 1\n\tb: 2\n",
			[]string{"endpoints.yml line 2:", "tab"}},
		{"a list at the top level is refused", "- tracker_store\n",
			[]string{"endpoints.yml line 1:", "top level must be a mapping", "a list"}},
		{"a single value at the top level is refused", "tracker_store\n",
			[]string{"top level must be a mapping", "a single value"}},
		{"a second document is refused", "a: 1\n---\nb: 2\n",
			[]string{"more than one YAML document"}},
		{"a repeated key is refused with both lines", "tracker_store:\n  type: SQL\n" +
			"  type: redis\n", []string{"line 3:", `key "type" appears twice`, "line 2"}},
		{"an unknown anchor is refused", "a: *nope\n", []string{"endpoints.yml:", "nope"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.in))
			if err == nil {
				t.Fatal("Parse succeeded, want an error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestParseSurvivesAliasBombs(t *testing.T) {
	// Nine levels of ten-fold aliases: 10^9 leaves if expanded naively.
	bomb := func(leaf string) string {
		var b strings.Builder
		b.WriteString("l0: &l0 " + leaf + "\n")
		for i := 1; i <= 9; i++ {
			b.WriteString("l" + strconv.Itoa(i) + ": &l" + strconv.Itoa(i) + " [")
			for j := 0; j < 10; j++ {
				if j > 0 {
					b.WriteString(", ")
				}
				b.WriteString("*l" + strconv.Itoa(i-1))
			}
			b.WriteString("]\n")
		}
		return b.String()
	}

	tests := []struct {
		name    string
		leaf    string
		wantErr bool
	}{
		{"a bomb of plain values parses quickly", "lol", false},
		{"a bomb of references is refused quickly",
			"{source: secrets_manager.vault, secret_key: k}", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			doc, err := Parse([]byte(bomb(tt.leaf)))
			if took := time.Since(start); took > 5*time.Second {
				t.Errorf("Parse took %v", took)
			}
			if tt.wantErr {
				if err == nil || !strings.Contains(err.Error(), "aliases expand") {
					t.Fatalf("Parse error = %v, want the alias limit", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if _, err := doc.Render(nil); err != nil {
				t.Fatalf("Render: %v", err)
			}
		})
	}
}

func TestParseReportsAliasLoops(t *testing.T) {
	doc, err := Parse([]byte("tracker_store: &ts\n  nested: *ts\n"))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	p := doc.Problems()
	if len(p) != 1 || p[0].Field != "tracker_store.nested" || p[0].Line != 2 {
		t.Fatalf("Problems = %+v, want one at tracker_store.nested line 2", p)
	}
}
