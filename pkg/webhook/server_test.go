package webhook

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"net"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/go-logr/logr"
	admissionv1 "k8s.io/api/admission/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	"github.com/rasa-vault-webhook/rasa-vault-webhook/internal/testpki"
	"github.com/rasa-vault-webhook/rasa-vault-webhook/pkg/inject"
	"github.com/rasa-vault-webhook/rasa-vault-webhook/pkg/serving"
)

// startServer runs pkg/serving's TLS server on 127.0.0.1 with h at Path, the way
// `webhook serve` does, and returns its address, a function that begins the shutdown,
// and a channel that gets Start's result once the server has shut down.
func startServer(t *testing.T, dir string, h *Handler) (string, context.CancelFunc, <-chan error) {
	t.Helper()
	port := freePort(t)
	mux := http.NewServeMux()
	mux.Handle(Path, h)
	srv := &serving.Server{Addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port)),
		CertDir: dir, Handler: mux, ReloadInterval: time.Second}
	ctx, cancel := context.WithCancel(context.Background())
	// done gets Start's result and is then closed, so the test and the cleanup can
	// both wait on it.
	done := make(chan error, 1)
	go func() {
		done <- srv.Start(ctx)
		close(done)
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
		}
	})

	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		conn, err := tls.Dial("tcp", addr, &tls.Config{InsecureSkipVerify: true}) //nolint:gosec
		if err == nil {
			conn.Close()
			return addr, cancel, done
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("the webhook server did not start within 10s")
	return "", nil, nil
}

// freePort asks the kernel for a free port on 127.0.0.1.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// servedCommonName dials addr and returns the common name of the certificate served.
func servedCommonName(addr string) (string, error) {
	// The test only reads which certificate is served; it does not trust it.
	conn, err := tls.Dial("tcp", addr, &tls.Config{InsecureSkipVerify: true}) //nolint:gosec
	if err != nil {
		return "", err
	}
	defer conn.Close()
	return conn.ConnectionState().PeerCertificates[0].Subject.CommonName, nil
}

// TestServerReloadsReplacedCertificate replaces the certificate files under a running
// server, as cert-manager or a Secret update does, and waits for the new one to be
// served, without a restart.
func TestServerReloadsReplacedCertificate(t *testing.T) {
	dir, ca := t.TempDir(), testpki.NewCA(t)
	testpki.WriteRenamed(t, dir, ca.Issue(t, "first"))
	addr, _, _ := startServer(t, dir, newHandler())
	if cn, err := servedCommonName(addr); err != nil || cn != "first" {
		t.Fatalf("served %q (%v), want the first certificate", cn, err)
	}

	testpki.WriteRenamed(t, dir, ca.Issue(t, "second"))
	// The server checks the files every second here (ReloadInterval).
	deadline := time.Now().Add(15 * time.Second)
	var cn string
	for time.Now().Before(deadline) {
		var err error
		if cn, err = servedCommonName(addr); err == nil && cn == "second" {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("still serving %q 15s after the files were replaced", cn)
}

// TestShutdownFinishesInFlightReview stops the server while a review waits on its
// ConfigMap read, and checks the review is still answered with the patch.
func TestShutdownFinishesInFlightReview(t *testing.T) {
	dir := t.TempDir()
	testpki.WriteRenamed(t, dir, testpki.NewCA(t).Issue(t, "webhook"))
	pod, cm := chartFixture(t)

	entered, release := make(chan struct{}), make(chan struct{})
	api := fake.NewClientBuilder().WithObjects(cm).WithInterceptorFuncs(interceptor.Funcs{
		Get: func(ctx context.Context, c client.WithWatch, key client.ObjectKey,
			obj client.Object, opts ...client.GetOption) error {
			close(entered)
			<-release
			// A real client fails on a cancelled context; the fake one does not look.
			if err := ctx.Err(); err != nil {
				return err
			}
			return c.Get(ctx, key, obj, opts...)
		},
	}).Build()
	h := &Handler{Reader: clientReader{api}, Options: inject.DefaultOptions(),
		Logger: logr.Discard()}
	addr, stop, stopped := startServer(t, dir, h)

	req := rawPodRequest(pod.Namespace, mustJSON(t, pod))
	body := mustJSON(t, admissionv1.AdmissionReview{TypeMeta: admissionReviewType,
		Request: &req.AdmissionRequest})
	hc := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}} //nolint:gosec
	type result struct {
		review admissionv1.AdmissionReview
		err    error
	}
	answered := make(chan result, 1)
	go func() {
		var r result
		resp, err := hc.Post("https://"+addr+Path, "application/json", bytes.NewReader(body))
		if err != nil {
			answered <- result{err: err}
			return
		}
		defer resp.Body.Close()
		r.err = json.NewDecoder(resp.Body).Decode(&r.review)
		answered <- r
	}()

	<-entered
	stop()
	time.Sleep(200 * time.Millisecond) // let the shutdown begin while the review waits
	close(release)

	r := <-answered
	if r.err != nil {
		t.Fatalf("the in-flight review failed: %v", r.err)
	}
	if r.review.Response == nil || !r.review.Response.Allowed ||
		len(r.review.Response.Patch) == 0 {
		t.Fatalf("want the patched pod, got %+v", r.review.Response)
	}
	select {
	case err := <-stopped:
		if err != nil {
			t.Errorf("the server stopped with %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Error("the server did not stop after the review was answered")
	}
}
