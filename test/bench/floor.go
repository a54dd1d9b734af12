package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"syscall"
	"time"
)

// floorCommand is the first argument that makes this program the floor server
// instead of the benchmark: `bench floor-serve <port> <cert> <key> <answer file>`.
const floorCommand = "floor-serve"

// floorName names the floor in the tables.
const floorName = "floor: constant answer"

// runFloorServer serves the floor: over the same TLS and HTTP stack as the webhook, it
// reads each request's body and writes a fixed answer without looking at it. Loading
// it the same way as the two webhooks shows what the load generator, TLS, HTTP and the
// machine cost without any admission work, the bound under which no webhook's latency
// or throughput can be measured here.
func runFloorServer(args []string) error {
	if len(args) != 4 {
		return fmt.Errorf("usage: %s <port> <cert file> <key file> <answer file>",
			floorCommand)
	}
	answer, err := os.ReadFile(args[3])
	if err != nil {
		return fmt.Errorf("reading the answer: %w", err)
	}
	cert, err := tls.LoadX509KeyPair(args[1], args[2])
	if err != nil {
		return fmt.Errorf("loading the serving certificate: %w", err)
	}
	ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", args[0]))
	if err != nil {
		return fmt.Errorf("listening: %w", err)
	}
	length := strconv.Itoa(len(answer))
	srv := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.Copy(io.Discard, r.Body)
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Content-Length", length)
			_, _ = w.Write(answer)
		}),
		TLSConfig:         &tls.Config{Certificates: []tls.Certificate{cert}},
		ReadHeaderTimeout: 10 * time.Second,
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	go func() {
		<-ctx.Done()
		_ = srv.Close()
	}()
	if err := srv.ServeTLS(ln, "", ""); !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serving: %w", err)
	}
	return nil
}

// startFloor runs this program as the floor server, answering every request with
// answer (our webhook's own answer to the benchmark's review).
func startFloor(dir string, cert *servingCert, answer []byte) (*process, string, error) {
	answerFile := filepath.Join(dir, "floor-answer.json")
	if err := os.WriteFile(answerFile, answer, 0o600); err != nil {
		return nil, "", fmt.Errorf("writing %s: %w", answerFile, err)
	}
	port, _, err := twoPorts()
	if err != nil {
		return nil, "", err
	}
	self, err := os.Executable()
	if err != nil {
		return nil, "", fmt.Errorf("finding this program: %w", err)
	}
	proc, err := startProcess(dir, "floor", []string{"PATH=" + os.Getenv("PATH")}, self,
		floorCommand, strconv.Itoa(port), cert.CertFile, cert.KeyFile, answerFile)
	if err != nil {
		return nil, "", err
	}
	return proc, fmt.Sprintf("https://127.0.0.1:%d%s", port, ourPath), nil
}
