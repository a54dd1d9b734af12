package endpoints

import (
	"strings"
	"testing"
)

func TestParseRefusesAFileLargerThanAConfigMapCanHold(t *testing.T) {
	big := "tracker_store:\n  note: " + strings.Repeat("x", MaxDocumentSize) + "\n"
	_, err := Parse([]byte(big))
	if err == nil || !strings.Contains(err.Error(), "ConfigMap") {
		t.Fatalf("Parse of a %d-byte file: err = %v; want a size error", len(big), err)
	}
}

func TestRenderRefusesAliasesThatRepeatALargeValuePastTheCap(t *testing.T) {
	src := "tracker_store:\n  password: &r\n    source: secrets_manager.vault\n" +
		"    secret_key: k\n"
	for i := 0; i < 10; i++ {
		src += "  copy" + string(rune('a'+i)) + ": *r\n"
	}
	doc, err := Parse([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	value := strings.Repeat("v", MaxRenderedValueBytes/5)
	values := map[string]string{}
	for _, r := range doc.References() {
		values[r.Path] = value
	}
	if len(values) != 11 {
		t.Fatalf("references = %d; want the original and its 10 aliases", len(values))
	}
	out, err := doc.Render(values)
	if err == nil || out != nil {
		t.Fatalf("Render wrote %d bytes; want a refusal", len(out))
	}
	if strings.Contains(err.Error(), value) {
		t.Error("the refusal quotes the value")
	}

	small := map[string]string{}
	for path := range values {
		small[path] = "short"
	}
	if _, err := doc.Render(small); err != nil {
		t.Fatalf("the same aliases with short values: %v", err)
	}
}
