package harness

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
)

// Postgres is a PostgreSQL server from Debian's packages, run as an unprivileged user
// with a temporary data directory, listening on 127.0.0.1 only.
type Postgres struct {
	// Host and Port are where the server listens (TCP, 127.0.0.1).
	Host string
	Port int

	superPassword string
	dir           string
	cmd           *exec.Cmd
	done          chan error
}

// postgresBin finds a PostgreSQL server program: on PATH, else in Debian's versioned
// directory /usr/lib/postgresql/<major>/bin.
func postgresBin(name string) (string, error) {
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	matches, _ := filepath.Glob(filepath.Join("/usr/lib/postgresql", "*", "bin", name))
	if len(matches) == 0 {
		return "", fmt.Errorf("PostgreSQL's %s not found: install Debian's postgresql package "+
			"(apt-get install postgresql)", name)
	}
	return matches[len(matches)-1], nil
}

// unprivileged returns process credentials for "nobody" when running as root, since
// PostgreSQL refuses to run as root; otherwise nil (run as the current user).
func unprivileged() *syscall.Credential {
	if os.Geteuid() != 0 {
		return nil
	}
	return &syscall.Credential{Uid: 65534, Gid: 65534}
}

// RandomHex returns n random bytes hex-encoded, for passwords and tokens in tests.
func RandomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(fmt.Sprintf("reading random bytes: %v", err))
	}
	return hex.EncodeToString(b)
}

// FreePort asks the kernel for a free TCP port on 127.0.0.1.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("finding a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// StartPostgres initialises a cluster in a fresh temporary directory and starts it.
func StartPostgres(ctx context.Context) (*Postgres, error) {
	initdb, err := postgresBin("initdb")
	if err != nil {
		return nil, err
	}
	server, err := postgresBin("postgres")
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "rvw-postgres-")
	if err != nil {
		return nil, fmt.Errorf("creating PostgreSQL temp dir: %w", err)
	}
	p := &Postgres{Host: "127.0.0.1", superPassword: RandomHex(16), dir: dir}
	if err := p.initialise(ctx, initdb); err != nil {
		_ = os.RemoveAll(dir)
		return nil, err
	}
	if p.Port, err = FreePort(); err != nil {
		_ = os.RemoveAll(dir)
		return nil, err
	}
	p.cmd = exec.Command(server, "-D", filepath.Join(dir, "data"), "-h", p.Host,
		"-p", strconv.Itoa(p.Port), "-k", dir)
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Credential: unprivileged()}
	logFile, err := os.Create(filepath.Join(dir, "postgres.log"))
	if err != nil {
		_ = os.RemoveAll(dir)
		return nil, fmt.Errorf("creating PostgreSQL log: %w", err)
	}
	p.cmd.Stdout, p.cmd.Stderr = logFile, logFile
	if err := p.cmd.Start(); err != nil {
		_ = os.RemoveAll(dir)
		return nil, fmt.Errorf("starting postgres: %w", err)
	}
	p.done = make(chan error, 1)
	go func() { p.done <- p.cmd.Wait(); logFile.Close() }()
	if err := p.waitReady(ctx, 30*time.Second); err != nil {
		p.Stop()
		return nil, err
	}
	return p, nil
}

// initialise runs initdb as the unprivileged user with password auth over TCP.
func (p *Postgres) initialise(ctx context.Context, initdb string) error {
	cred := unprivileged()
	pwFile := filepath.Join(p.dir, "pwfile")
	if err := os.WriteFile(pwFile, []byte(p.superPassword+"\n"), 0o600); err != nil {
		return fmt.Errorf("writing PostgreSQL password file: %w", err)
	}
	if cred != nil {
		for _, path := range []string{p.dir, pwFile} {
			if err := os.Chown(path, int(cred.Uid), int(cred.Gid)); err != nil {
				return fmt.Errorf("handing %s to the PostgreSQL user: %w", path, err)
			}
		}
	}
	cmd := exec.CommandContext(ctx, initdb, "-D", filepath.Join(p.dir, "data"), "-U", "postgres",
		"--auth-local=trust", "--auth-host=scram-sha-256", "--pwfile="+pwFile, "-E", "UTF8")
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("initdb: %w\n%s", err, out)
	}
	return nil
}

// waitReady polls until the superuser can log in over TCP, or the deadline passes.
func (p *Postgres) waitReady(ctx context.Context, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for {
		conn, err := pgx.Connect(ctx, p.URL("postgres", p.superPassword, "postgres"))
		if err == nil {
			return conn.Close(ctx)
		}
		select {
		case exitErr := <-p.done:
			return fmt.Errorf("postgres exited during start-up (%v); log in %s", exitErr, p.dir)
		default:
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("postgres not ready after %s: %w", limit, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// URL returns a connection URL for the given login and database.
func (p *Postgres) URL(user, password, db string) string {
	u := url.URL{
		Scheme:   "postgres",
		User:     url.UserPassword(user, password),
		Host:     net.JoinHostPort(p.Host, strconv.Itoa(p.Port)),
		Path:     "/" + db,
		RawQuery: "sslmode=disable&connect_timeout=5",
	}
	return u.String()
}

// CreateLogin creates a role that may log in with the password and a database it owns,
// the way an operator prepares a tracker-store database for Rasa.
func (p *Postgres) CreateLogin(ctx context.Context, user, password, db string) error {
	conn, err := pgx.Connect(ctx, p.URL("postgres", p.superPassword, "postgres"))
	if err != nil {
		return fmt.Errorf("connecting as superuser: %w", err)
	}
	defer conn.Close(ctx)
	role := pgx.Identifier{user}.Sanitize()
	quotedPassword := "'" + escapeSQLString(password) + "'"
	statements := []string{
		"CREATE ROLE " + role + " LOGIN PASSWORD " + quotedPassword,
		"CREATE DATABASE " + pgx.Identifier{db}.Sanitize() + " OWNER " + role,
	}
	for _, stmt := range statements {
		if _, err := conn.Exec(ctx, stmt); err != nil {
			return fmt.Errorf("creating login %q and database %q: %w", user, db, err)
		}
	}
	return nil
}

func escapeSQLString(s string) string {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] == '\'' {
			out = append(out, '\'')
		}
		out = append(out, s[i])
	}
	return string(out)
}

// Stop shuts the server down (fast mode via SIGINT) and removes its data.
func (p *Postgres) Stop() {
	if p.cmd != nil && p.cmd.Process != nil {
		_ = p.cmd.Process.Signal(syscall.SIGINT)
		select {
		case <-p.done:
		case <-time.After(10 * time.Second):
			_ = p.cmd.Process.Kill()
			<-p.done
		}
	}
	if err := os.RemoveAll(p.dir); err != nil && !errors.Is(err, os.ErrNotExist) {
		fmt.Fprintf(os.Stderr, "removing PostgreSQL temp dir: %v\n", err)
	}
}
