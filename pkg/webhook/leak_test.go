package webhook

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/go-logr/logr"
	"github.com/go-logr/logr/funcr"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	"github.com/rasa-vault-webhook/rasa-vault-webhook/pkg/inject"
)

// Values planted where a careless handler could copy them into a message or a log.
const (
	plantedEnvToken     = "hvs.PLANTED-ENV-TOKEN-1f2e"
	plantedEnvLicense   = "PLANTED-ENV-LICENSE-9a8b"
	plantedYAMLToken    = "hvs.PLANTED-YAML-TOKEN-7c6d"
	plantedYAMLPassword = "PLANTED-YAML-PASSWORD-5e4f"
)

// plantedPod is the Rasa chart pod with literal secrets in its env.
func plantedPod(t *testing.T) *corev1.Pod {
	t.Helper()
	pod := &corev1.Pod{}
	readYAML(t, "rasa-chart", "pod.yaml", pod)
	pod.Spec.Containers[0].Env = []corev1.EnvVar{
		{Name: "SECRET_MANAGER", Value: "vault"},
		{Name: "VAULT_TOKEN", Value: plantedEnvToken},
		{Name: "RASA_PRO_LICENSE", Value: plantedEnvLicense},
	}
	return pod
}

// plantedConfigMap holds an endpoints.yml with a literal token and password; broken
// adds problems so the review ends in a denial.
func plantedConfigMap(t *testing.T, broken bool) *corev1.ConfigMap {
	t.Helper()
	cm := &corev1.ConfigMap{}
	readYAML(t, "rasa-chart", "configmap.yaml", cm)
	endpoints := "secrets_manager:\n  type: vault\n  url: http://vault:8200\n" +
		"  token: " + plantedYAMLToken + "\n" +
		"lock_store:\n  type: redis\n  password: " + plantedYAMLPassword + "\n" +
		"tracker_store:\n  type: SQL\n  password:\n    source: secrets_manager.vault\n"
	if !broken {
		endpoints += "    secret_key: sql_store_password\n"
	}
	cm.Data["endpoints"] = endpoints
	return cm
}

// TestNoSecretValueLeaks reviews pods carrying planted secrets in every way a review
// can end, and checks no denial, warning or log line carries one; the patch may carry
// the env token only where the user put it, moved to the injected containers.
func TestNoSecretValueLeaks(t *testing.T) {
	failingGet := interceptor.Funcs{Get: func(context.Context, client.WithWatch,
		client.ObjectKey, client.Object, ...client.GetOption) error {
		return errors.New("etcdserver: request timed out")
	}}
	badAnnotation := plantedPod(t)
	badAnnotation.Annotations[inject.AnnotationInject] = "maybe"

	tests := []struct {
		name    string
		pod     *corev1.Pod
		objs    []client.Object
		funcs   *interceptor.Funcs
		outcome string
	}{
		{name: "an injected pod", pod: plantedPod(t),
			objs: []client.Object{plantedConfigMap(t, false)}, outcome: outcomePatched},
		{name: "an invalid endpoints.yml", pod: plantedPod(t),
			objs: []client.Object{plantedConfigMap(t, true)}, outcome: outcomeDenied},
		{name: "a missing ConfigMap", pod: plantedPod(t), outcome: outcomeDenied},
		{name: "a failing API", pod: plantedPod(t), funcs: &failingGet,
			outcome: outcomeErrored},
		{name: "a bad annotation", pod: badAnnotation, outcome: outcomeDenied},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logs strings.Builder
			builder := fake.NewClientBuilder().WithObjects(tt.objs...)
			if tt.funcs != nil {
				builder = builder.WithInterceptorFuncs(*tt.funcs)
			}
			h := &Handler{Reader: clientReader{builder.Build()}, Options: inject.DefaultOptions(),
				Logger: captureLogs(&logs)}

			resp := h.Handle(context.Background(), podRequest(t, tt.pod))
			lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
			if len(lines) != 1 {
				t.Errorf("want one log line per review, got %d:\n%s", len(lines), &logs)
			}
			for _, key := range []string{`"uid"=`, `"namespace"="assistants"`,
				`"pod"="support-bot-rasa-"`, `"outcome"="` + tt.outcome + `"`, `"duration"=`} {
				if !strings.Contains(logs.String(), key) {
					t.Errorf("log line lacks %s: %s", key, &logs)
				}
			}
			if tt.outcome == outcomePatched && len(resp.Warnings) == 0 {
				t.Error("want the literal-token warnings for the injected pod")
			}

			texts := map[string]string{"log": logs.String(),
				"warnings": strings.Join(resp.Warnings, "\n")}
			if resp.Result != nil {
				texts["message"] = resp.Result.Message
			}
			for where, text := range texts {
				for _, planted := range []string{plantedEnvToken, plantedEnvLicense,
					plantedYAMLToken, plantedYAMLPassword} {
					if strings.Contains(text, planted) {
						t.Errorf("%s contains planted value %q:\n%s", where, planted, text)
					}
				}
			}
			checkPatchCarriesNoNewSecrets(t, resp.Patches)
		})
	}
}

// checkPatchCarriesNoNewSecrets allows the env token only in operations on the
// injected init containers, and endpoints.yml content nowhere.
func checkPatchCarriesNoNewSecrets[T any](t *testing.T, ops []T) {
	t.Helper()
	for _, op := range ops {
		data, err := json.Marshal(op)
		if err != nil {
			t.Fatal(err)
		}
		text := string(data)
		for _, planted := range []string{plantedYAMLToken, plantedYAMLPassword} {
			if strings.Contains(text, planted) {
				t.Errorf("patch operation carries endpoints.yml value %q: %s", planted, text)
			}
		}
		if strings.Contains(text, plantedEnvToken) &&
			!strings.Contains(text, `"path":"/spec/initContainers`) {
			t.Errorf("the env token appears outside the injected containers: %s", text)
		}
	}
}

// captureLogs returns a logger that appends every line, at every verbosity, to b.
func captureLogs(b *strings.Builder) logr.Logger {
	return funcr.New(func(prefix, args string) {
		b.WriteString(prefix + " " + args + "\n")
	}, funcr.Options{Verbosity: 10})
}
