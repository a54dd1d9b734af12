package webhook

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	"github.com/rasa-vault-webhook/rasa-vault-webhook/pkg/inject"
)

// countingClient is a fake API holding objs that counts its GETs.
func countingClient(gets *atomic.Int64, objs ...client.Object) client.WithWatch {
	return fake.NewClientBuilder().WithObjects(objs...).WithInterceptorFuncs(interceptor.Funcs{
		Get: func(ctx context.Context, c client.WithWatch, key client.ObjectKey,
			obj client.Object, opts ...client.GetOption) error {
			gets.Add(1)
			return c.Get(ctx, key, obj, opts...)
		},
	}).Build()
}

// chartFixture reads the Rasa chart pod and its ConfigMap.
func chartFixture(t testing.TB) (*corev1.Pod, *corev1.ConfigMap) {
	t.Helper()
	pod, cm := &corev1.Pod{}, &corev1.ConfigMap{}
	readYAML(t, "rasa-chart", "pod.yaml", pod)
	readYAML(t, "rasa-chart", "configmap.yaml", cm)
	return pod, cm
}

func TestConfigMapCache(t *testing.T) {
	tests := []struct {
		name string
		// run reviews pods against api and returns the messages of the answers.
		run      func(t *testing.T, h *Handler, api client.Client) []string
		wantGets int64
		want     []string
	}{
		{name: "replicas of one pod cost one GET", wantGets: 1,
			run: func(t *testing.T, h *Handler, _ client.Client) []string {
				pod, _ := chartFixture(t)
				var out []string
				for range 5 {
					out = append(out, answer(t, h, pod))
				}
				return out
			},
			want: []string{"patched", "patched", "patched", "patched", "patched"}},
		{name: "a missing ConfigMap is never cached, so creating it helps at once",
			wantGets: 2,
			run: func(t *testing.T, h *Handler, api client.Client) []string {
				pod, cm := chartFixture(t)
				first := answer(t, h, pod)
				if err := api.Create(context.Background(), cm); err != nil {
					t.Fatal(err)
				}
				return []string{first, answer(t, h, pod)}
			},
			want: []string{"not found", "patched"}},
		// The first review GETs and caches the broken copy, the test GETs it to fix
		// it, and the second review is denied by the cached copy and GETs again.
		{name: "a denial from a cached copy is checked again with a fresh GET",
			wantGets: 3,
			run: func(t *testing.T, h *Handler, api client.Client) []string {
				pod, good := chartFixture(t)
				first := answer(t, h, pod)
				cm := &corev1.ConfigMap{}
				key := client.ObjectKey{Namespace: "assistants", Name: "support-bot-configmap"}
				if err := api.Get(context.Background(), key, cm); err != nil {
					t.Fatal(err)
				}
				cm.Data["endpoints"] = good.Data["endpoints"]
				if err := api.Update(context.Background(), cm); err != nil {
					t.Fatal(err)
				}
				return []string{first, answer(t, h, pod)}
			},
			want: []string{"secret_key", "patched"}},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var gets atomic.Int64
			var objs []client.Object
			if !strings.Contains(tt.name, "missing") {
				_, cm := chartFixture(t)
				if strings.Contains(tt.name, "denial") {
					cm.Data["endpoints"] = "tracker_store:\n  password:\n" +
						"    source: secrets_manager.aws\n"
				}
				objs = append(objs, cm)
			}
			api := countingClient(&gets, objs...)
			h := &Handler{Reader: clientReader{api}, Cache: NewConfigMapCache(),
				Options: inject.DefaultOptions()}

			got := tt.run(t, h, api)
			if len(got) != len(tt.want) {
				t.Fatalf("got %d answers, want %d", len(got), len(tt.want))
			}
			for i := range got {
				if !strings.Contains(got[i], tt.want[i]) {
					t.Errorf("answer %d = %q, want it to contain %q", i, got[i], tt.want[i])
				}
			}
			if n := gets.Load(); n != tt.wantGets {
				t.Errorf("%d GETs, want %d", n, tt.wantGets)
			}
		})
	}
}

// TestConfigMapCacheBoundsItsMemory checks a value above the size limit is not kept,
// and the entries are capped.
func TestConfigMapCacheBoundsItsMemory(t *testing.T) {
	c := NewConfigMapCache()
	big := &corev1.ConfigMap{Data: map[string]string{
		"endpoints": strings.Repeat("x", DefaultCacheValueBytes+1)}}
	c.add(cacheKey{"a", "big", "endpoints"}, big)
	if _, ok := c.get(cacheKey{"a", "big", "endpoints"}); ok {
		t.Error("a value above the size limit was cached")
	}

	small := &corev1.ConfigMap{Data: map[string]string{"endpoints": "x", "other": "y"}}
	for i := range DefaultCacheEntries + 10 {
		c.add(cacheKey{"a", strings.Repeat("n", i+1), "endpoints"}, small)
	}
	if n := len(c.entries.Keys()); n != DefaultCacheEntries {
		t.Errorf("%d entries, want the cap %d", n, DefaultCacheEntries)
	}
	got, ok := c.get(cacheKey{"a", strings.Repeat("n", DefaultCacheEntries+10), "endpoints"})
	if !ok || len(got.Data) != 1 {
		t.Errorf("the newest entry should hold the one key reviews need, got %v", got)
	}
}

// answer reviews pod with h and sums the answer up: "patched" or the denial message.
func answer(t *testing.T, h *Handler, pod *corev1.Pod) string {
	t.Helper()
	resp := h.Handle(context.Background(), podRequest(t, pod))
	if resp.Allowed && len(resp.Patches) > 0 {
		return "patched"
	}
	if resp.Result == nil {
		return "allowed"
	}
	return resp.Result.Message
}
