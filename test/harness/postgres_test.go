package harness

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

func TestPostgresAcceptsTheLoginItCreatedAndRejectsAWrongPassword(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	pg, err := StartPostgres(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pg.Stop)

	password := RandomHex(8) + "'quote"
	if err := pg.CreateLogin(ctx, "rasa_user", password, "rasa"); err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(ctx, pg.URL("rasa_user", password, "rasa"))
	if err != nil {
		t.Fatalf("login with the created password: %v", err)
	}
	var who string
	err = conn.QueryRow(ctx, "select current_user").Scan(&who)
	if err != nil || who != "rasa_user" {
		t.Fatalf("current_user = %q, %v; want rasa_user", who, err)
	}
	_ = conn.Close(ctx)

	if _, err := pgx.Connect(ctx, pg.URL("rasa_user", "wrong", "rasa")); err == nil {
		t.Fatal("login with a wrong password succeeded")
	}
}
