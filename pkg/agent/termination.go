package agent

import (
	"os"
	"strings"
)

// maxTerminationMessage is the kubelet's limit for one container's termination
// message; longer text is cut by the kubelet anyway, so cut it here on a rune boundary.
const maxTerminationMessage = 4096

// terminationLine flattens msg to one line no longer than maxTerminationMessage: its
// non-empty lines joined with "; ", runs of white space collapsed.
func terminationLine(msg string) string {
	var parts []string
	for _, l := range strings.Split(msg, "\n") {
		if f := strings.Join(strings.Fields(l), " "); f != "" {
			parts = append(parts, f)
		}
	}
	line := strings.Join(parts, "; ")
	if len(line) <= maxTerminationMessage {
		return line
	}
	cut := maxTerminationMessage - len("...")
	for cut > 0 && !isRuneStart(line[cut]) {
		cut--
	}
	return line[:cut] + "..."
}

// isRuneStart reports whether b begins a UTF-8 sequence.
func isRuneStart(b byte) bool { return b&0xC0 != 0x80 }

// writeTerminationMessage writes the one-line cause where the kubelet reads it
// (kubectl describe pod shows it). msg must already be redacted.
func writeTerminationMessage(path, msg string) error {
	return os.WriteFile(path, []byte(terminationLine(msg)+"\n"), 0o644)
}
