package harness

import (
	"context"
	"errors"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	vaultapi "github.com/hashicorp/vault/api"
)

func TestStartVaultServesAWrittenSecretBack(t *testing.T) {
	v := StartVault(t)
	if !strings.HasPrefix(v.Addr, "http://127.0.0.1:") {
		t.Fatalf("Addr = %q, want a 127.0.0.1 address", v.Addr)
	}

	err := v.PutSecret("secret", "harness-check", map[string]any{"answer": "forty-two"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	got, err := v.Client.KVv2("secret").Get(ctx, "harness-check")
	if err != nil {
		t.Fatalf("reading the secret back: %v", err)
	}
	if got.Data["answer"] != "forty-two" {
		t.Errorf("answer = %v, want forty-two", got.Data["answer"])
	}
}

func TestCreatedTokenCarriesItsPolicyAndTTL(t *testing.T) {
	v := StartVault(t)
	rules := `path "secret/data/only-this" { capabilities = ["read"] }`
	if err := v.WritePolicy("only-this", rules); err != nil {
		t.Fatal(err)
	}
	if err := v.PutSecret("secret", "only-this", map[string]any{"k": "v"}); err != nil {
		t.Fatal(err)
	}
	if err := v.PutSecret("secret", "not-this", map[string]any{"k": "v"}); err != nil {
		t.Fatal(err)
	}
	token, err := v.CreateToken([]string{"only-this"}, time.Minute, true)
	if err != nil {
		t.Fatal(err)
	}

	client, err := v.Client.Clone()
	if err != nil {
		t.Fatal(err)
	}
	client.SetToken(token)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	if _, err := client.KVv2("secret").Get(ctx, "only-this"); err != nil {
		t.Errorf("reading the allowed path: %v", err)
	}
	_, err = client.KVv2("secret").Get(ctx, "not-this")
	var respErr *vaultapi.ResponseError
	if !errors.As(err, &respErr) || respErr.StatusCode != http.StatusForbidden {
		t.Errorf("reading a path outside the policy: err = %v, want a 403", err)
	}

	info, err := client.Auth().Token().LookupSelfWithContext(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ttl, err := info.TokenTTL()
	if err != nil {
		t.Fatal(err)
	}
	if ttl <= 0 || ttl > time.Minute {
		t.Errorf("token TTL = %s, want in (0, 1m]", ttl)
	}

	if err := v.RevokeToken(token); err != nil {
		t.Fatal(err)
	}
	if _, err := client.Auth().Token().LookupSelfWithContext(ctx); err == nil {
		t.Error("lookup-self with a revoked token succeeded")
	}
}

func TestTransitEncryptReturnsVersionedCiphertext(t *testing.T) {
	v := StartVault(t)
	if err := v.EnableTransit("transit"); err != nil {
		t.Fatal(err)
	}
	ciphertext, err := v.TransitEncrypt("transit", "k1", "plain words")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(ciphertext, "vault:v1:") {
		t.Errorf("ciphertext %q does not start with vault:v1:", ciphertext)
	}
	if strings.Contains(ciphertext, "plain words") {
		t.Error("ciphertext contains the plaintext")
	}
}

func TestStopEndsTheServerAndRemovesItsFiles(t *testing.T) {
	v := StartVault(t)
	dir := v.dir
	v.Stop()
	v.Stop() // a second call is harmless

	select {
	case <-v.exited:
	default:
		t.Fatal("server process still running after Stop")
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("temp dir %s still exists after Stop (err %v)", dir, err)
	}
	client := &http.Client{Timeout: time.Second}
	if resp, err := client.Get(v.Addr + "/v1/sys/health"); err == nil {
		_ = resp.Body.Close()
		t.Error("server still answers after Stop")
	}
}

func TestLogTailNeverShowsTheRootToken(t *testing.T) {
	v := StartVault(t)
	// The dev server prints its banner with the root token just after it is ready.
	var tail string
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); {
		if tail = v.LogTail(1000); strings.Contains(tail, "<root-token>") {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if strings.Contains(tail, v.RootToken) {
		t.Fatal("LogTail output contains the root token")
	}
	if !strings.Contains(tail, "<root-token>") {
		t.Error("LogTail did not show the blanked root token line; the dev server prints it")
	}
}
