package serving

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/go-logr/logr"
)

// Defaults for the Server fields left zero.
const (
	// DefaultReloadInterval is how often the certificate files are checked. A check is
	// two stat calls, so checking often costs nothing, and it keeps short the time a
	// rotated certificate (perhaps from a new CA already in the caBundle) is not yet
	// served. The kubelet takes up to a minute or more to project a Secret update,
	// so a shorter interval would not make rotation noticeably faster.
	DefaultReloadInterval = 2 * time.Second

	// DefaultShutdownTimeout lets in-flight reviews finish after ctx ends. It stays
	// under the kubelet's default 30 s terminationGracePeriodSeconds, so the process
	// exits on its own instead of being killed mid-review.
	DefaultShutdownTimeout = 25 * time.Second
)

// HTTP limits, sized for admission reviews.
const (
	// readHeaderTimeout bounds how long a client may take to send its headers, so
	// slow-header (Slowloris) clients cannot hold connections open.
	readHeaderTimeout = 10 * time.Second

	// readTimeout bounds reading a whole request. The apiserver sends a review's body
	// at once, so a client still sending after 10 s is stuck or hostile; it must also
	// stay well under DefaultShutdownTimeout, or one slow client would hold every
	// shutdown to the end of its drain.
	readTimeoutDefault = 10 * time.Second

	// writeTimeout bounds a request from its headers to the end of the answer. The
	// apiserver waits at most 30 s (the largest timeoutSeconds a webhook may set), so
	// an answer later than that is read by no one.
	writeTimeout = 30 * time.Second

	// idleTimeout keeps the apiserver's keep-alive connections a while between
	// reviews, sparing a TLS handshake per review.
	idleTimeout = 90 * time.Second

	// maxHeaderBytes is net/http's default, stated here so that it is a decision:
	// admission requests carry their payload in the body, not in headers.
	maxHeaderBytes = 1 << 20
)

// readTimeout is readTimeoutDefault; tests shorten it.
var readTimeout = readTimeoutDefault

// Server serves Handler over TLS with the certificate in CertDir, reloaded when it
// changes. Set the fields, then call Start once.
type Server struct {
	// Addr is the host:port to listen on, e.g. ":9443", or "127.0.0.1:0" for any free
	// port (see BoundAddr).
	Addr string

	// CertDir holds tls.crt and tls.key in PEM. In Kubernetes it is a Secret volume,
	// whose files are symlinks through ..data, swapped atomically on update.
	CertDir string

	// Handler answers the requests.
	Handler http.Handler

	// Logger receives start-up, certificate and error logs; the zero value discards.
	Logger logr.Logger

	// ReloadInterval is how often the certificate files are checked for a change;
	// zero means DefaultReloadInterval.
	ReloadInterval time.Duration

	// ShutdownTimeout is how long in-flight requests get to finish once ctx ends;
	// zero means DefaultShutdownTimeout.
	ShutdownTimeout time.Duration

	state atomic.Int32
	ctx   context.Context // set before state becomes serving
	bound string          // set before state becomes serving
}

// The states of a Server, in the order it goes through them.
const (
	stateNew int32 = iota
	stateStarting
	stateServing
	stateStopping
	stateStopped
)

// Start loads the certificate, listens on Addr and serves Handler until ctx ends. It
// then stops accepting connections, gives in-flight requests up to ShutdownTimeout to
// finish, and returns nil. It returns an error if the certificate cannot be loaded,
// the address cannot be bound, serving fails, or requests are still running when
// ShutdownTimeout ends (those are then cut off).
func (s *Server) Start(ctx context.Context) error {
	if !s.state.CompareAndSwap(stateNew, stateStarting) {
		return errors.New("serving: Start called more than once")
	}
	defer s.state.Store(stateStopped)
	if s.Handler == nil {
		return errors.New("serving: Server.Handler is nil")
	}
	logger := s.Logger
	if logger.GetSink() == nil {
		logger = logr.Discard()
	}
	reloadInterval := s.ReloadInterval
	if reloadInterval <= 0 {
		reloadInterval = DefaultReloadInterval
	}
	shutdownTimeout := s.ShutdownTimeout
	if shutdownTimeout <= 0 {
		shutdownTimeout = DefaultShutdownTimeout
	}

	certs := newCertReloader(s.CertDir, logger)
	if err := certs.load(); err != nil {
		return err
	}

	ln, err := net.Listen("tcp", s.Addr)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", s.Addr, err)
	}
	srv := s.httpServer(certs, logger)

	reloadCtx, stopReload := context.WithCancel(ctx)
	reloadDone := make(chan struct{})
	go func() {
		defer close(reloadDone)
		certs.run(reloadCtx, reloadInterval)
	}()
	defer func() {
		stopReload()
		<-reloadDone
	}()

	serveErr := make(chan error, 1)
	go func() {
		// With TLSNextProto nil, ServeTLS offers h2 and http/1.1 by ALPN.
		serveErr <- srv.ServeTLS(ln, "", "")
	}()
	s.ctx, s.bound = ctx, ln.Addr().String()
	s.state.Store(stateServing)
	logger.Info("serving HTTPS", "address", s.bound, "certDir", s.CertDir)

	select {
	case err := <-serveErr:
		_ = srv.Close()
		return fmt.Errorf("serving on %s: %w", s.bound, err)
	case <-ctx.Done():
	}

	// Not ready from here on, so the Service stops sending while requests drain.
	s.state.Store(stateStopping)
	logger.Info("shutting down HTTPS server", "address", s.bound,
		"timeout", shutdownTimeout.String())
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownTimeout)
	defer cancel()
	err = srv.Shutdown(shutdownCtx)
	<-serveErr // http.ErrServerClosed, returned as soon as Shutdown begins
	if err != nil {
		_ = srv.Close()
		return fmt.Errorf("shutting down %s: requests still running after %s were cut "+
			"off: %w", s.bound, shutdownTimeout, err)
	}
	logger.Info("HTTPS server stopped", "address", s.bound)
	return nil
}

// Ready returns nil while Start is serving with a certificate loaded and its ctx has
// not ended, and otherwise an error saying why not. It is meant for /readyz.
func (s *Server) Ready() error {
	switch s.state.Load() {
	case stateNew:
		return errors.New("HTTPS server not started")
	case stateStarting:
		return errors.New("HTTPS server starting")
	case stateServing:
		if s.ctx.Err() != nil {
			return errors.New("HTTPS server shutting down")
		}
		return nil
	case stateStopping:
		return errors.New("HTTPS server shutting down")
	default:
		return errors.New("HTTPS server stopped")
	}
}

// BoundAddr returns the address the listener is bound to, which tells the port when
// Addr asks for port 0. It is empty until Ready first returns nil.
func (s *Server) BoundAddr() string {
	if s.state.Load() < stateServing {
		return ""
	}
	return s.bound
}

// httpServer builds the http.Server with the TLS settings and limits above.
func (s *Server) httpServer(certs *certReloader, logger logr.Logger) *http.Server {
	return &http.Server{
		Handler: s.Handler,
		TLSConfig: &tls.Config{
			MinVersion:     tls.VersionTLS12,
			GetCertificate: certs.GetCertificate,
		},
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          log.New(errorLogWriter{logger}, "", 0),
	}
}

// errorLogWriter turns net/http's error log lines into logr entries. Failed TLS
// handshakes are frequent and harmless (TCP probes, scanners, clients that distrust
// the CA while it rotates), so they are debug; everything else (a panic in the
// handler, for one) is an error.
type errorLogWriter struct {
	log logr.Logger
}

func (w errorLogWriter) Write(p []byte) (int, error) {
	line := strings.TrimSuffix(string(p), "\n")
	if strings.Contains(line, "TLS handshake error") {
		w.log.V(1).Info("TLS handshake failed", "detail", line)
		return len(p), nil
	}
	w.log.Error(errors.New(line), "HTTP server error")
	return len(p), nil
}
