package webhook

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-logr/logr"
	admissionv1 "k8s.io/api/admission/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	"github.com/rasa-vault-webhook/rasa-vault-webhook/pkg/inject"
)

// BenchmarkReview reviews the Rasa chart pod with the ConfigMap lookup in the path,
// read directly and through ConfigMapCache, against an in-memory API whose GET takes
// roundTrip more (0: the fake client's own cost only; 1ms: a near apiserver). It
// reports API GETs per review next to the time, the numbers ConfigMapCache's choice
// rests on.
func BenchmarkReview(b *testing.B) {
	for _, roundTrip := range []time.Duration{0, time.Millisecond} {
		for _, cached := range []bool{false, true} {
			name := "direct"
			if cached {
				name = "cached"
			}
			b.Run(name+"/roundtrip="+roundTrip.String(), func(b *testing.B) {
				benchmarkReview(b, roundTrip, cached)
			})
		}
	}
}

func benchmarkReview(b *testing.B, roundTrip time.Duration, cached bool) {
	pod, cm := chartFixture(b)
	var gets atomic.Int64
	api := fake.NewClientBuilder().WithObjects(cm).WithInterceptorFuncs(interceptor.Funcs{
		Get: func(ctx context.Context, c client.WithWatch, key client.ObjectKey,
			obj client.Object, opts ...client.GetOption) error {
			gets.Add(1)
			if roundTrip > 0 {
				time.Sleep(roundTrip)
			}
			return c.Get(ctx, key, obj, opts...)
		},
	}).Build()
	h := &Handler{Reader: clientReader{api}, Options: inject.DefaultOptions(),
		Logger: logr.Discard()}
	if cached {
		h.Cache = NewConfigMapCache()
	}
	req := rawPodRequest(pod.Namespace, mustJSON(b, pod))

	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if resp := h.Handle(context.Background(), req); !resp.Allowed {
			b.Fatalf("denied: %s", resp.Result.Message)
		}
	}
	b.ReportMetric(float64(gets.Load())/float64(b.N), "gets/op")
}

// BenchmarkServeHTTP reviews the Rasa chart pod the way the apiserver sends it: an
// AdmissionReview body through the HTTP entry point, decoded, reviewed with a cached
// ConfigMap, and the response with its patch encoded. It adds to BenchmarkReview the
// decoding and encoding around the handler. "patch-cache" sends the same pod every
// time, as a scale-up does, to a handler with a PatchCache; "distinct" makes every
// pod's JSON unique (a new annotation value), so that cache misses every time.
func BenchmarkServeHTTP(b *testing.B) {
	b.Run("no-cache", func(b *testing.B) { benchmarkServeHTTP(b, false, false) })
	b.Run("patch-cache", func(b *testing.B) { benchmarkServeHTTP(b, true, false) })
	b.Run("patch-cache/distinct", func(b *testing.B) { benchmarkServeHTTP(b, true, true) })
	b.Run("no-cache/distinct", func(b *testing.B) { benchmarkServeHTTP(b, false, true) })
}

func benchmarkServeHTTP(b *testing.B, patchCache, distinct bool) {
	pod, cm := chartFixture(b)
	h := &Handler{Reader: clientReader{fake.NewClientBuilder().WithObjects(cm).Build()},
		Cache: NewConfigMapCache(), Options: inject.DefaultOptions(), Logger: logr.Discard()}
	if patchCache {
		h.Patches = NewPatchCache()
	}
	body := func(i int) []byte {
		if distinct {
			pod.Annotations["bench/seq"] = strconv.Itoa(i)
		}
		req := rawPodRequest(pod.Namespace, mustJSON(b, pod))
		return mustJSON(b, admissionv1.AdmissionReview{TypeMeta: admissionReviewType,
			Request: &req.AdmissionRequest})
	}
	bodies := [][]byte{body(0)}
	if distinct {
		for i := 1; i < 4*DefaultPatchEntries; i++ {
			bodies = append(bodies, body(i))
		}
	}

	b.ReportAllocs()
	b.ResetTimer()
	i := 0
	for b.Loop() {
		httpReq := httptest.NewRequest(http.MethodPost, Path,
			bytes.NewReader(bodies[i%len(bodies)]))
		i++
		httpReq.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httpReq)
		if rec.Code != http.StatusOK || !bytes.Contains(rec.Body.Bytes(), []byte(`"patch"`)) {
			b.Fatalf("HTTP %d without a patch: %s", rec.Code, rec.Body)
		}
	}
}
