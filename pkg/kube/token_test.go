package kube

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeClock is a settable time source for the token re-read interval.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func TestATokenFileIsReReadOnlyAfterTheInterval(t *testing.T) {
	var mu sync.Mutex
	var seen string
	srv := startAPIServer(t, func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = r.Header.Get("Authorization")
		mu.Unlock()
		_, _ = w.Write([]byte(`{"gitVersion":"v1"}`))
	})
	dir := t.TempDir()
	tokenPath := writeFile(t, dir, "token", "first\n")
	cluster := "server: " + srv.URL + "\ncertificate-authority-data: " + b64(caPEM(srv))
	// tokenFile is relative: it resolves against the kubeconfig's directory.
	kubeconfig := writeFile(t, dir, "kubeconfig", kubeconfigYAML(cluster, "tokenFile: token"))
	c, err := FromKubeconfig(kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	clock := &fakeClock{now: time.Now()}
	c.creds.tokenFile.now = clock.Now
	c.creds.tokenFile.readAt = clock.Now()

	steps := []struct {
		name    string
		advance time.Duration
		file    string // new file content; "-" removes the file
		want    string
	}{
		{"the token read at start is used", 0, "", "Bearer first"},
		{"a rotated file is not read within the minute", 59 * time.Second, "second",
			"Bearer first"},
		{"a rotated file is read once the minute has passed", 2 * time.Second, "",
			"Bearer second"},
		{"the new token is cached again", 30 * time.Second, "third", "Bearer second"},
		{"a vanished file keeps the last good token", time.Minute, "-", "Bearer second"},
		{"a reappearing file is picked up on the next request", 0, "fourth",
			"Bearer fourth"},
	}
	for _, step := range steps {
		clock.Advance(step.advance)
		switch step.file {
		case "":
		case "-":
			if err := os.Remove(tokenPath); err != nil {
				t.Fatal(err)
			}
		default:
			writeFile(t, dir, "token", step.file)
		}
		if _, err := c.ServerVersion(context.Background()); err != nil {
			t.Fatalf("%s: %v", step.name, err)
		}
		mu.Lock()
		got := seen
		mu.Unlock()
		if got != step.want {
			t.Errorf("%s: Authorization = %q, want %q", step.name, got, step.want)
		}
	}
}

func TestATokenFileMustExistAndHoldAToken(t *testing.T) {
	dir := t.TempDir()
	if _, err := newFileToken(filepath.Join(dir, "missing")); err == nil {
		t.Error("a missing token file was accepted")
	}
	empty := writeFile(t, dir, "empty", " \n")
	if _, err := newFileToken(empty); err == nil {
		t.Error("an empty token file was accepted")
	}
	secret := writeFile(t, dir, "secret", "s3cr3t")
	if err := os.Chmod(secret, 0); err == nil && os.Getuid() != 0 {
		_, err := newFileToken(secret)
		if err == nil {
			t.Fatal("an unreadable token file was accepted")
		}
		if got := err.Error(); strings.Contains(got, "s3cr3t") {
			t.Errorf("error %q shows the token", got)
		}
	}
}
