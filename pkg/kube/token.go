package kube

import (
	"fmt"
	"os"
	"strings"
	"sync"
	"time"
)

// tokenRereadInterval is how long a token read from a file is used before the file
// is read again. It is client-go's period: the kubelet replaces a projected
// service-account token when 80% of its life (at least an hour) has passed, so a
// minute-old copy is always still valid.
const tokenRereadInterval = time.Minute

// fileToken is a bearer token kept in a file that its owner rotates, such as a
// projected service-account token. It is safe for concurrent use.
type fileToken struct {
	path     string
	interval time.Duration
	now      func() time.Time

	mu     sync.Mutex
	token  string
	readAt time.Time
}

// newFileToken reads the token at path once, so a missing or empty file fails at
// start-up rather than on the first review.
func newFileToken(path string) (*fileToken, error) {
	t := &fileToken{path: path, interval: tokenRereadInterval, now: time.Now}
	if _, err := t.Token(); err != nil {
		return nil, err
	}
	return t, nil
}

// Token returns the file's token, reading the file again once the interval has
// passed. When a re-read fails, the last good token is returned, as client-go does:
// an old token is more useful than none while the kubelet rewrites the file.
func (t *fileToken) Token() (string, error) {
	t.mu.Lock()
	defer t.mu.Unlock()

	now := t.now()
	if t.token != "" && now.Sub(t.readAt) < t.interval {
		return t.token, nil
	}

	token, err := readToken(t.path)
	if err != nil {
		if t.token != "" {
			return t.token, nil
		}
		return "", err
	}
	t.token, t.readAt = token, now
	return token, nil
}

// readToken returns the whitespace-trimmed content of a token file. The error names
// the file but never its content.
func readToken(path string) (string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return "", err // an *fs.PathError naming the file
	}
	token := strings.TrimSpace(string(data))
	if token == "" {
		return "", fmt.Errorf("token file %s is empty; it must hold a bearer token", path)
	}
	return token, nil
}
