// Command assistant stands in for a Rasa assistant in the end-to-end test and the demo.
// It does what Rasa's SQL tracker store does with endpoints.yml: read tracker_store,
// log in to PostgreSQL with its credentials, then write and read back one row. It also
// refuses to run when Vault settings are still in its environment or the file still
// has a secrets_manager section, since real Rasa would then contact Vault itself.
package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"gopkg.in/yaml.v3"
)

func main() {
	path := flag.String("endpoints", "endpoints.yml", "path of the resolved endpoints.yml")
	flag.Parse()
	if err := run(*path); err != nil {
		fmt.Fprintf(os.Stderr, "assistant: %v\n", err)
		os.Exit(1)
	}
}

func run(path string) error {
	for _, kv := range os.Environ() {
		name := strings.SplitN(kv, "=", 2)[0]
		if name == "SECRET_MANAGER" || strings.HasPrefix(name, "VAULT_") {
			return fmt.Errorf("%s is set: Rasa would contact Vault itself", name)
		}
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("reading endpoints: %w", err)
	}
	var doc map[string]map[string]any
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return fmt.Errorf("parsing %s: %w", path, err)
	}
	if _, ok := doc["secrets_manager"]; ok {
		return fmt.Errorf("%s still has a secrets_manager section", path)
	}
	ts, ok := doc["tracker_store"]
	if !ok {
		return fmt.Errorf("%s has no tracker_store", path)
	}
	field := func(k string) string {
		if v, ok := ts[k]; ok && v != nil {
			if _, isMap := v.(map[string]any); isMap {
				return ""
			}
			return fmt.Sprint(v)
		}
		return ""
	}
	user, password := field("username"), field("password")
	if user == "" || password == "" {
		return fmt.Errorf("tracker_store username or password is missing or unresolved")
	}
	port := field("port")
	if port == "" {
		port = "5432"
	}
	u := url.URL{
		Scheme:   "postgres",
		User:     url.UserPassword(user, password),
		Host:     net.JoinHostPort(field("url"), port),
		Path:     "/" + field("db"),
		RawQuery: "sslmode=disable&connect_timeout=5",
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, u.String())
	if err != nil {
		return fmt.Errorf("tracker store login as %q failed: %w", user, err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx,
		"CREATE TABLE IF NOT EXISTS rvw_events (id serial PRIMARY KEY, note text)"); err != nil {
		return fmt.Errorf("creating table: %w", err)
	}
	note := fmt.Sprintf("written at %s", time.Now().UTC().Format(time.RFC3339Nano))
	var id int
	if err := conn.QueryRow(ctx, "INSERT INTO rvw_events (note) VALUES ($1) RETURNING id",
		note).Scan(&id); err != nil {
		return fmt.Errorf("writing a row: %w", err)
	}
	var back string
	if err := conn.QueryRow(ctx, "SELECT note FROM rvw_events WHERE id = $1", id).
		Scan(&back); err != nil || back != note {
		return fmt.Errorf("reading the row back: got %q, %v", back, err)
	}
	fmt.Printf("tracker store login ok: user=%s host=%s db=%s; wrote and read back row %d\n",
		user, field("url"), field("db"), id)
	return nil
}
