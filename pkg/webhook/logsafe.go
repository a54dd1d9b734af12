package webhook

import (
	"regexp"
	"strconv"
	"strings"
)

// logSafeError is an error as the review's log line shows it; see logSafe.
type logSafeError struct{ text string }

// Error is the redacted text.
func (e logSafeError) Error() string { return e.text }

// logSafe returns err with every quoted string replaced by its length, except the JSON
// pointers the decoder writes after "within " ("/spec/containers/0/env"), which name a
// place: of those, segments that are field names or indexes are kept, and from the
// first other one (a map key the user chose) on, the pointer is cut. The errors of a
// review that does not decode quote the pod's own values (a timestamp that does not
// parse, a key given twice), which may be anything the user typed; the answer shows
// them to whoever sent the pod, the log must not keep them. Other errors (an
// apiserver that cannot be reached, with its URL) are logged as they are.
func logSafe(err error) error {
	if err == nil {
		return nil
	}
	text := invalidCharacter.ReplaceAllString(err.Error(), "invalid character '…'")
	if !strings.Contains(text, `"`) {
		if text == err.Error() {
			return err
		}
		return logSafeError{text: text}
	}
	var b strings.Builder
	for {
		open := strings.IndexByte(text, '"')
		if open < 0 {
			b.WriteString(text)
			break
		}
		b.WriteString(text[:open+1])
		text = text[open+1:]
		end := closingQuote(text)
		if end < 0 {
			// Unterminated: nothing after the quote is shown.
			b.WriteString("(" + strconv.Itoa(len(text)) + " bytes)")
			break
		}
		if quoted := text[:end]; strings.HasSuffix(b.String(), `within "`) &&
			strings.HasPrefix(quoted, "/") {
			b.WriteString(placeOnly(quoted))
		} else {
			b.WriteString("(" + strconv.Itoa(len(quoted)) + " bytes)")
		}
		b.WriteByte('"')
		text = text[end+1:]
	}
	return logSafeError{text: b.String()}
}

// invalidCharacter matches the decoder's "invalid character 'x'", which quotes one
// character of the input (a byte of a value, possibly of a secret) in single quotes.
var invalidCharacter = regexp.MustCompile(`invalid character '(?:\\.[^']*|[^'])+'`)

// closingQuote returns the index of the first unescaped double quote in s, or -1.
func closingQuote(s string) int {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++ // skip the escaped byte
		case '"':
			return i
		}
	}
	return -1
}

// placeOnly is pointer up to its first segment that is neither a field name (letters)
// nor an index (digits), then "/…".
func placeOnly(pointer string) string {
	segments := strings.Split(pointer, "/")[1:]
	for i, seg := range segments {
		if !fieldOrIndex(seg) {
			return "/" + strings.Join(segments[:i], "/") + "/…"
		}
	}
	return pointer
}

// fieldOrIndex reports whether seg is all ASCII letters or all digits.
func fieldOrIndex(seg string) bool {
	if seg == "" {
		return false
	}
	letters, digits := true, true
	for _, r := range seg {
		letters = letters && ('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z')
		digits = digits && '0' <= r && r <= '9'
	}
	return letters || digits
}
