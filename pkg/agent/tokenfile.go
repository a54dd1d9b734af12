package agent

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"
)

// maxTokenFileSize caps a token file; Vault tokens are about 100 bytes.
const maxTokenFileSize = 16 << 10

// tokenFileCheckInterval is how often agent mode looks for a rotated token file. The
// kubelet updates a Secret volume only on its sync period (a minute by default, plus
// its cache TTL), so half of that keeps the agent's share of the delay small; the
// check is one stat call, and the file is read only when the stat changed.
const tokenFileCheckInterval = 30 * time.Second

// tokenFile follows the token file of token auth: a mounted Secret key the kubelet
// replaces (a new directory behind the ..data symlink) whenever the Secret changes.
// After the start only the loop's goroutine uses it.
type tokenFile struct {
	path string
	// seen is the version of the file last read; nil means read it at the next check
	// whatever its stat says.
	seen os.FileInfo
	// inUse is the token the client sends, to tell a rotated file from a touched one.
	inUse string
	// problem is the last problem logged, so that each is logged once, not at every
	// check; it is cleared when the file is usable again.
	problem string
}

// openTokenFile reads the token file at start and returns its follower and the token.
func openTokenFile(path string) (*tokenFile, string, error) {
	// Stat before reading: a swap in between then shows as a change at the first check.
	// A failed stat leaves seen nil, which re-reads the file at the first check.
	info, _ := os.Stat(path)
	token, err := readTokenFile(path)
	if err != nil {
		return nil, "", err
	}
	return &tokenFile{path: path, seen: info, inUse: token}, token, nil
}

// readTokenFile reads a Vault token from a file, dropping the trailing newline that
// `echo` and most editors leave. Its errors never show the file's content.
func readTokenFile(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("reading the Vault token file (--token-file): %w", err)
	}
	defer func() { _ = f.Close() }()
	data, err := io.ReadAll(io.LimitReader(f, maxTokenFileSize+1))
	if err != nil {
		return "", fmt.Errorf("reading the Vault token file %s: %w", path, err)
	}
	if len(data) > maxTokenFileSize {
		return "", fmt.Errorf("the Vault token file %s is larger than %d bytes: is it "+
			"a token?", path, maxTokenFileSize)
	}
	token := strings.TrimSpace(string(data))
	if token == "" {
		return "", fmt.Errorf("the Vault token file %s is empty: put the token in it or "+
			"drop --token-file", path)
	}
	if !plausibleToken(token) {
		return "", fmt.Errorf("the Vault token file %s holds whitespace, control or "+
			"non-ASCII characters inside the token: is it a token?", path)
	}
	return token, nil
}

// plausibleToken reports whether s can be a Vault token: printable ASCII without
// spaces, since it travels in an HTTP header (X-Vault-Token).
func plausibleToken(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] > '~' {
			return false
		}
	}
	return true
}

// changed reports whether the file differs from the version last read: another
// file behind the path (the kubelet's swap) or the same file rewritten.
func (f *tokenFile) changed(now os.FileInfo) bool {
	return f.seen == nil || !os.SameFile(f.seen, now) || f.seen.Size() != now.Size() ||
		!f.seen.ModTime().Equal(now.ModTime())
}

// recheckTokenFile asks for a full re-read of the token file at once, because Vault
// refused the token or it expired: the file may already hold its replacement.
func (a *agent) recheckTokenFile(tok *tokenState) {
	if a.tokenFile == nil {
		return
	}
	a.tokenFile.seen = nil
	tok.fileCheckAt = a.o.Clock.Now()
}

// reloadTokenFile looks at the token file and adopts the token in it when that is a
// different one Vault accepts: the lookup learns its TTL, renewal follows Rasa's
// schedule again and Health recovers. A missing, empty or refused file keeps the
// current token. The old token is left alone, neither used nor revoked: it belongs to
// whoever rotated it. Like relogin, it reports whether a new token is now in use; the
// loop then refreshes the files at once.
func (a *agent) reloadTokenFile(ctx context.Context, tok *tokenState) bool {
	f := a.tokenFile
	tok.fileCheckAt = a.o.Clock.Now().Add(tokenFileCheckInterval)
	info, err := os.Stat(f.path)
	if err != nil {
		a.tokenFileProblem("token file unusable; keeping the current token",
			fmt.Errorf("checking the Vault token file: %w", err))
		return false
	}
	if !f.changed(info) {
		return false
	}
	token, err := readTokenFile(f.path)
	if err != nil {
		a.tokenFileProblem("token file unusable; keeping the current token", err)
		return false
	}
	a.redact.add(token)
	if token == f.inUse {
		f.seen, f.problem = info, ""
		a.log.V(1).Info("token file read; same token", "path", f.path)
		return false
	}
	return a.adoptToken(ctx, tok, token, info)
}

// adoptToken switches to token, read from the token file, once a lookup shows that
// Vault accepts it. A refused token is not tried again until the file changes or
// the current token is refused; an unreachable Vault leaves it for the next check.
func (a *agent) adoptToken(ctx context.Context, tok *tokenState, token string,
	version os.FileInfo) bool {
	f := a.tokenFile
	start := a.o.Clock.Now()
	client, err := a.newClient(a.cfg, token)
	if err != nil {
		a.tokenFileProblem("token file unusable; keeping the current token",
			fmt.Errorf("building a Vault client for the token in %s: %w", f.path, err))
		return false
	}
	info, err := client.LookupSelf(ctx)
	if err != nil {
		client.CloseIdleConnections()
		if ctx.Err() != nil {
			return false
		}
		if isTransient(err) {
			a.tokenFileProblem("could not check the new token in the token file; "+
				"keeping the current token", err)
			return false
		}
		f.seen = version
		a.tokenFileProblem("vault refused the new token in the token file; "+
			"keeping the current token", err)
		return false
	}

	if old := a.client.Swap(client); old != nil {
		old.CloseIdleConnections()
	}
	f.seen, f.inUse, f.problem = version, token, ""
	now := a.o.Clock.Now()
	tok.dead, tok.lookupAt, tok.loginAt, tok.loginFailures = false, time.Time{},
		time.Time{}, 0
	tok.schedule(now, info)
	a.o.Health.tokenAlive(tok.expiry)
	a.log.Info("token file changed; using the new token", "path", f.path,
		"ttl_s", int64(info.TTL.Seconds()), "renewable", info.Renewable,
		"duration_ms", a.msSince(start))
	return true
}

// tokenFileProblem logs a problem with the token file once: again only after the
// file was usable in between or the problem changed.
func (a *agent) tokenFileProblem(msg string, err error) {
	f := a.tokenFile
	red := a.redact.err(err)
	if key := msg + ": " + red.Error(); key != f.problem {
		f.problem = key
		a.log.Error(red, msg, "path", f.path)
	}
}
