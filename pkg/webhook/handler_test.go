package webhook

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	jsonpatch "github.com/evanphx/json-patch/v5"
	admissionv1 "k8s.io/api/admission/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	"github.com/rasa-vault-webhook/rasa-vault-webhook/pkg/inject"
)

// newHandler returns a Handler whose Reader holds objs.
func newHandler(objs ...client.Object) *Handler {
	return &Handler{
		Reader:  clientReader{fake.NewClientBuilder().WithObjects(objs...).Build()},
		Options: inject.DefaultOptions(),
	}
}

// TestHandleInjectsTheGoldenPods sends each testdata/<case>/pod.yaml through the
// handler with its configmap.yaml, compares the patch with patch.json, and checks that
// the patch applied to the request's raw pod gives exactly what pkg/inject returns.
func TestHandleInjectsTheGoldenPods(t *testing.T) {
	forEachGolden(t, func(t *testing.T, dir string, pod *corev1.Pod, cm *corev1.ConfigMap,
		raw []byte,
	) {
		resp := newHandler(cm).Handle(context.Background(), rawPodRequest(pod.Namespace, raw))
		if !resp.Allowed || len(resp.Patches) == 0 {
			t.Fatalf("want an allowed response with a patch, got %+v", resp.Result)
		}
		compareGolden(t, dir, "patch.json", renderPatch(t, resp))

		want, warnings := mutateDirectly(t, pod, cm)
		if got := applyPatch(t, raw, resp); !equality.Semantic.DeepEqual(got, want) {
			t.Error("the patch applied to the raw pod differs from inject.Mutate's pod")
		}
		if !slices.Equal(resp.Warnings, warnings) {
			t.Errorf("warnings = %q, want %q", resp.Warnings, warnings)
		}
	})
}

// TestHandleAnswers covers every kind of answer the handler gives.
func TestHandleAnswers(t *testing.T) {
	pod, cm := &corev1.Pod{}, &corev1.ConfigMap{}
	readYAML(t, "rasa-chart", "pod.yaml", pod)
	readYAML(t, "rasa-chart", "configmap.yaml", cm)

	withAnnotation := func(key, value string) *corev1.Pod {
		p := pod.DeepCopy()
		p.Annotations[key] = value
		return p
	}
	injected, _ := mutateDirectly(t, pod, cm)
	invalid := cm.DeepCopy()
	invalid.Data["endpoints"] = "tracker_store:\n  password:\n    source: secrets_manager.aws\n"
	elsewhere := cm.DeepCopy()
	elsewhere.Namespace = "other-team"
	failingGet := interceptor.Funcs{Get: func(context.Context, client.WithWatch,
		client.ObjectKey, client.Object, ...client.GetOption) error {
		return errors.New("connection refused")
	}}

	tests := []struct {
		name     string
		req      Request
		objs     []client.Object
		funcs    *interceptor.Funcs
		code     int32
		allowed  bool
		patched  bool
		contains []string
	}{
		{name: "an opted-in pod is patched", req: podRequest(t, pod),
			objs: []client.Object{cm}, code: http.StatusOK, allowed: true, patched: true},
		{name: "an update is allowed untouched", req: withOperation(podRequest(t, pod),
			admissionv1.Update), code: http.StatusOK, allowed: true},
		{name: "a request for another kind is allowed untouched", req: withKind(
			podRequest(t, pod), "ConfigMap"), code: http.StatusOK, allowed: true},
		{name: "a pod without the annotation is allowed untouched", req: podRequest(t,
			withoutAnnotations(pod)), code: http.StatusOK, allowed: true},
		{name: "an opted-out pod is allowed untouched", req: podRequest(t,
			withAnnotation(inject.AnnotationInject, "false")), code: http.StatusOK,
			allowed: true},
		{name: "an injected pod is allowed untouched on reinvocation", req: podRequest(t,
			injected), objs: []client.Object{cm}, code: http.StatusOK, allowed: true},
		{name: "a hand-set status on an uninjected pod is denied naming it", req: podRequest(t,
			withAnnotation(inject.AnnotationStatus, inject.StatusInjected)),
			objs: []client.Object{cm}, code: http.StatusForbidden,
			contains: []string{inject.AnnotationStatus, "remove it"}},
		{name: "a bad inject value is denied naming the annotation", req: podRequest(t,
			withAnnotation(inject.AnnotationInject, "on")), code: http.StatusForbidden,
			contains: []string{inject.AnnotationInject, `"true"`}},
		{name: "a missing ConfigMap is denied naming it and the fix", req: podRequest(t, pod),
			code: http.StatusForbidden, contains: []string{
				"ConfigMap assistants/support-bot-configmap not found", "create the ConfigMap"}},
		{name: "a ConfigMap in another namespace is not found", req: podRequest(t, pod),
			objs: []client.Object{elsewhere}, code: http.StatusForbidden,
			contains: []string{"assistants/support-bot-configmap not found"}},
		{name: "an invalid endpoints.yml is denied with every problem", req: podRequest(t,
			pod), objs: []client.Object{invalid}, code: http.StatusForbidden,
			contains: []string{`key "endpoints": endpoints.yml: tracker_store.password.source`,
				"tracker_store.password.secret_key: missing"}},
		{name: "an API failure is an internal error, not a denial", req: podRequest(t, pod),
			funcs: &failingGet, code: http.StatusInternalServerError, contains: []string{
				"reading ConfigMap assistants/support-bot-configmap", "connection refused"}},
		{name: "an undecodable pod is a bad request", req: rawPodRequest("assistants",
			[]byte(`{"spec": 7}`)), code: http.StatusBadRequest,
			contains: []string{"decoding the pod"}},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			builder := fake.NewClientBuilder().WithObjects(tt.objs...)
			if tt.funcs != nil {
				builder = builder.WithInterceptorFuncs(*tt.funcs)
			}
			h := &Handler{Reader: clientReader{builder.Build()}, Options: inject.DefaultOptions()}

			resp := h.Handle(context.Background(), tt.req)
			if err := resp.complete(tt.req); err != nil { // as admission.Webhook does
				t.Fatal(err)
			}
			if resp.Allowed != tt.allowed || resp.Result.Code != tt.code {
				t.Fatalf("allowed=%v code=%d, want allowed=%v code=%d (message %q)",
					resp.Allowed, resp.Result.Code, tt.allowed, tt.code, resp.Result.Message)
			}
			if got := len(resp.Patches) > 0; got != tt.patched {
				t.Errorf("patched = %v, want %v", got, tt.patched)
			}
			for _, want := range tt.contains {
				if !strings.Contains(resp.Result.Message, want) {
					t.Errorf("message %q does not contain %q", resp.Result.Message, want)
				}
			}
		})
	}
}

// TestHandleBoundsTheConfigMapRead checks the GET runs in the request's namespace with
// a deadline of at most ConfigMapTimeout.
func TestHandleBoundsTheConfigMapRead(t *testing.T) {
	pod, cm := &corev1.Pod{}, &corev1.ConfigMap{}
	readYAML(t, "rasa-chart", "pod.yaml", pod)
	readYAML(t, "rasa-chart", "configmap.yaml", cm)

	var gotKey client.ObjectKey
	var gotDeadline time.Duration
	reader := fake.NewClientBuilder().WithObjects(cm).WithInterceptorFuncs(interceptor.Funcs{
		Get: func(ctx context.Context, c client.WithWatch, key client.ObjectKey,
			obj client.Object, opts ...client.GetOption) error {
			gotKey = key
			if deadline, ok := ctx.Deadline(); ok {
				gotDeadline = time.Until(deadline)
			}
			return c.Get(ctx, key, obj, opts...)
		},
	}).Build()

	h := &Handler{Reader: clientReader{reader}, Options: inject.DefaultOptions()}
	if resp := h.Handle(context.Background(), podRequest(t, pod)); !resp.Allowed {
		t.Fatalf("not allowed: %q", resp.Result.Message)
	}
	want := client.ObjectKey{Namespace: "assistants", Name: "support-bot-configmap"}
	if gotKey != want {
		t.Errorf("GET %v, want %v", gotKey, want)
	}
	if gotDeadline <= 0 || gotDeadline > ConfigMapTimeout {
		t.Errorf("deadline in %v, want within (0, %v]", gotDeadline, ConfigMapTimeout)
	}
}

// withOperation returns req for another operation.
func withOperation(req Request, op admissionv1.Operation) Request {
	req.Operation = op
	return req
}

// withKind returns req for another kind of the core group.
func withKind(req Request, kind string) Request {
	req.Kind = metav1.GroupVersionKind{Version: "v1", Kind: kind}
	return req
}

// withoutAnnotations returns a copy of pod with no annotations.
func withoutAnnotations(pod *corev1.Pod) *corev1.Pod {
	p := pod.DeepCopy()
	p.Annotations = nil
	return p
}

// mutateDirectly runs pkg/inject on pod without the handler.
func mutateDirectly(t *testing.T, pod *corev1.Pod, cm *corev1.ConfigMap) (
	*corev1.Pod, []string,
) {
	t.Helper()
	target, err := inject.Locate(pod)
	if err != nil {
		t.Fatal(err)
	}
	mutated, warnings, err := inject.Mutate(pod, cm, target, inject.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	return mutated, warnings
}

// applyPatch applies the response's JSONPatch to raw the way the apiserver does.
func applyPatch(t *testing.T, raw []byte, resp Response) *corev1.Pod {
	t.Helper()
	ops, err := json.Marshal(resp.Patches)
	if err != nil {
		t.Fatal(err)
	}
	patch, err := jsonpatch.DecodePatch(ops)
	if err != nil {
		t.Fatal(err)
	}
	patched, err := patch.Apply(raw)
	if err != nil {
		t.Fatalf("the patch does not apply to the raw pod: %v", err)
	}
	pod := &corev1.Pod{}
	if err := json.Unmarshal(patched, pod); err != nil {
		t.Fatal(err)
	}
	return pod
}

// renderPatch renders the patch's operations in the order they apply.
func renderPatch(t *testing.T, resp Response) []byte {
	t.Helper()
	out, err := json.MarshalIndent(resp.Patches, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return append(out, '\n')
}
