// Package logging builds the structured logger every subcommand uses: JSON lines on
// stderr through log/slog, exposed as a logr.Logger as controller-runtime expects.
package logging

import (
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/go-logr/logr"
)

// New returns a JSON logger writing to w at the given level ("debug", "info", "error").
func New(w io.Writer, level string) (logr.Logger, error) {
	var l slog.Level
	switch strings.ToLower(level) {
	case "debug":
		l = slog.LevelDebug
	case "info", "":
		l = slog.LevelInfo
	case "error":
		l = slog.LevelError
	default:
		return logr.Discard(), fmt.Errorf("--log-level %q: use debug, info or error", level)
	}
	h := slog.NewJSONHandler(w, &slog.HandlerOptions{Level: l, ReplaceAttr: levelNames})
	return logr.FromSlogHandler(h), nil
}

// levelNames prints logr's verbosity levels (V(1) arrives as slog level -1, which slog
// would print as "DEBUG+3") as plain "DEBUG".
func levelNames(groups []string, a slog.Attr) slog.Attr {
	if len(groups) > 0 || a.Key != slog.LevelKey {
		return a
	}
	if lvl, ok := a.Value.Any().(slog.Level); ok && lvl < slog.LevelInfo {
		a.Value = slog.StringValue("DEBUG")
	}
	return a
}
