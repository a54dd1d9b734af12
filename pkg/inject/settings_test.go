package inject

import (
	"slices"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TestReadSettingsAcceptsValidValues checks what valid annotations turn into; the
// bad values are in test/testdata/bad-input.yaml.
func TestReadSettingsAcceptsValidValues(t *testing.T) {
	tests := []struct {
		name        string
		annotations map[string]string
		check       func(t *testing.T, s Settings)
	}{
		{name: "no annotation keeps the defaults and a sidecar", check: func(t *testing.T,
			s Settings) {
			if !s.Sidecar || s.AuthMethod != "" || s.TokenSecret != nil ||
				s.Image != DefaultImage || s.Resources.Requests.Cpu().String() != "10m" {
				t.Errorf("got %+v", s)
			}
		}},
		{name: "a token Secret without a key reads the key token", annotations: map[string]string{
			AnnotationTokenSecret: "bot-vault"}, check: func(t *testing.T, s Settings) {
			if s.TokenSecret == nil || s.TokenSecret.Name != "bot-vault" ||
				s.TokenSecret.Key != DefaultTokenSecretKey {
				t.Errorf("got %+v", s.TokenSecret)
			}
		}},
		{name: "a leading auth/ of the mount path is dropped", annotations: map[string]string{
			AnnotationAuthMethod: "kubernetes", AnnotationAuthRole: "bot",
			AnnotationAuthPath: "auth/k8s/prod"}, check: func(t *testing.T, s Settings) {
			want := []string{"--auth-method=kubernetes", "--auth-role=bot",
				"--auth-path=k8s/prod", "--sa-token-path=/var/run/secrets/vault/token"}
			if got := authFlags(s); !slices.Equal(got, want) {
				t.Errorf("flags %q, want %q", got, want)
			}
		}},
		{name: "explicit token auth passes only the method", annotations: map[string]string{
			AnnotationAuthMethod: "token"}, check: func(t *testing.T, s Settings) {
			if got := authFlags(s); !slices.Equal(got, []string{"--auth-method=token"}) {
				t.Errorf("flags %q", got)
			}
		}},
		{name: "a refresh interval is a Go duration", annotations: map[string]string{
			AnnotationRefreshInterval: "1h30m"}, check: func(t *testing.T, s Settings) {
			if s.RefreshInterval != 90*time.Minute {
				t.Errorf("got %v", s.RefreshInterval)
			}
		}},
		{name: "a CPU limit above the default request is fine", annotations: map[string]string{
			AnnotationAgentCPULimit: "50m", AnnotationAgentSidecar: "false"},
			check: func(t *testing.T, s Settings) {
				if s.Sidecar || s.Resources.Limits.Cpu().String() != "50m" {
					t.Errorf("got sidecar=%v limit=%s", s.Sidecar, s.Resources.Limits.Cpu())
				}
			}},
		{name: "the annotations do not change the options' resources",
			annotations: map[string]string{AnnotationAgentMemoryRequest: "48Mi"},
			check: func(t *testing.T, _ Settings) {
				if r := DefaultOptions().Resources.Requests; r.Memory().String() != "24Mi" {
					t.Error("the defaults changed")
				}
			}},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			annotations := map[string]string{AnnotationInject: "true"}
			for k, v := range tt.annotations {
				annotations[k] = v
			}
			pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Annotations: annotations}}
			s, err := ReadSettings(pod, DefaultOptions())
			if err != nil {
				t.Fatalf("want valid, got %v", err)
			}
			tt.check(t, s)
		})
	}
}
