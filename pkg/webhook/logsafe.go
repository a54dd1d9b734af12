package webhook

import (
	"strconv"
	"strings"
)

// logSafeError is an error as the review's log line shows it; see logSafe.
type logSafeError struct{ text string }

// Error is the redacted text.
func (e logSafeError) Error() string { return e.text }

// logSafe returns err with every quoted string replaced by its length, except JSON
// pointers ("/spec/containers/0/env"), which name a place and not a value. The errors
// of a review that does not decode quote the pod's own values (a timestamp that does
// not parse, a key given twice), which may be anything the user typed; the answer shows
// them to whoever sent the pod, the log must not keep them.
func logSafe(err error) error {
	if err == nil {
		return nil
	}
	text := err.Error()
	if !strings.Contains(text, `"`) {
		return err
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
		if quoted := text[:end]; strings.HasPrefix(quoted, "/") {
			b.WriteString(quoted)
		} else {
			b.WriteString("(" + strconv.Itoa(len(quoted)) + " bytes)")
		}
		b.WriteByte('"')
		text = text[end+1:]
	}
	return logSafeError{text: b.String()}
}

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
