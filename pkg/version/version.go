// Package version holds the build's version, stamped at link time with
// -X github.com/rasa-vault-webhook/rasa-vault-webhook/pkg/version.Version=... .
package version

import "runtime"

var (
	// Version is the release version, or "dev" for an unstamped build.
	Version = "dev"
	// Commit is the source commit the binary was built from.
	Commit = "unknown"
)

// String describes the build on one line: version, commit and Go version.
func String() string {
	return Version + " (commit " + Commit + ", " + runtime.Version() + ")"
}
