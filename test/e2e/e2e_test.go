package e2e

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
	corev1 "k8s.io/api/core/v1"

	"github.com/rasa-vault-webhook/rasa-vault-webhook/test/harness"
	"github.com/rasa-vault-webhook/rasa-vault-webhook/test/scenario"
)

const initTimeout = 90 * time.Second

func TestAssistantLogsInWithCredentialsFromVault(t *testing.T) {
	for _, layout := range []scenario.Layout{scenario.SubPathLayout, scenario.DirectoryLayout} {
		t.Run(string(layout), func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
			defer cancel()
			d := deploy(ctx, t, scenario.AssistantOptions{Layout: layout})
			if d.CreateErr != nil {
				t.Fatalf("creating the annotated pod: %v", d.CreateErr)
			}
			assertInjected(t, d.Pod)
			assertNoSecretIn(t, "the stored pod", mustJSON(t, d.Pod), d)

			pod := prepare(ctx, t, d)
			if _, err := pod.RunInitContainers(ctx, initTimeout); err != nil {
				t.Fatalf("init containers: %v\n%s", err, pod.Output())
			}
			resolved := assertResolvedFile(t, pod, d)
			if !strings.HasPrefix(resolved, "/dev/shm/") {
				t.Errorf("resolved file %s is not on the memory-backed volume", resolved)
			}
			if layout == scenario.DirectoryLayout {
				assertCopied(t, pod, "/app/config/credentials.yml", "rest:")
			}

			assertAssistantLogsIn(ctx, t, pod, d)
			agent := pod.Sidecar("rvw-agent")
			if agent == nil || agent.Exited() {
				t.Errorf("renewal agent is not running after the assistant started:\n%s",
					pod.Output())
			}
			pod.Stop()
			assertNoSecretIn(t, "container output", pod.Output(), d)
			assertNoSecretIn(t, "webhook output", world.WebhookLog.String(), d)
		})
	}
}

func TestInitContainerFailsClearlyAndWritesNothing(t *testing.T) {
	cases := []struct {
		name    string
		opts    scenario.AssistantOptions
		message string
	}{
		{
			name:    "a secret_key absent in Vault",
			opts:    scenario.AssistantOptions{SecretKey: "sql_store_pasword"},
			message: "sql_store_pasword",
		},
		{
			name: "a wrong token",
			opts: scenario.AssistantOptions{
				Token: "hvs.not-a-real-token-" + harness.RandomHex(6),
			},
			message: "permission denied",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
			defer cancel()
			d := deploy(ctx, t, tc.opts)
			if d.CreateErr != nil {
				t.Fatalf("the webhook must not call Vault, so the pod is admitted: %v", d.CreateErr)
			}
			pod := prepare(ctx, t, d)
			results, err := pod.RunInitContainers(ctx, initTimeout)
			if err == nil || len(results) == 0 || results[0].ExitCode == 0 {
				t.Fatalf("init container succeeded; want a non-zero exit\n%s", pod.Output())
			}
			failed := results[len(results)-1]
			if !strings.Contains(failed.TerminationMessage, tc.message) {
				t.Errorf("termination message %q does not mention %q", failed.TerminationMessage,
					tc.message)
			}
			if !strings.Contains(failed.Output, tc.message) {
				t.Errorf("log does not mention %q:\n%s", tc.message, failed.Output)
			}
			out, err := pod.HostPath("rasa", d.EndpointsPath)
			if err != nil {
				t.Fatal(err)
			}
			entries, _ := os.ReadDir(filepath.Dir(out))
			if len(entries) != 0 {
				t.Errorf("the memory volume holds %d entries after a failed init; want none",
					len(entries))
			}
			if pod.Sidecar("rvw-agent") != nil {
				t.Error("the renewal agent started although the init container failed")
			}
			assertNoSecretIn(t, "container output", pod.Output()+failed.TerminationMessage, d)
		})
	}
}

func TestWebhookDeniesAPodItCannotServe(t *testing.T) {
	cases := []struct {
		name  string
		opts  scenario.AssistantOptions
		wants []string
	}{
		{
			name:  "its ConfigMap is missing",
			opts:  scenario.AssistantOptions{SkipConfigMap: true},
			wants: []string{"support-bot-configmap", "not found"},
		},
		{
			name: "its endpoints.yml has a reference without secret_key",
			opts: scenario.AssistantOptions{Endpoints: "secrets_manager:\n  type: vault\n" +
				"tracker_store:\n  type: SQL\n  password:\n    source: secrets_manager.vault\n"},
			wants: []string{"tracker_store.password.secret_key"},
		},
		{
			name:  "its endpoints.yml is not YAML",
			opts:  scenario.AssistantOptions{Endpoints: "tracker_store: [unclosed\n"},
			wants: []string{"endpoints.yml", "line"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			d := deploy(ctx, t, tc.opts)
			if d.CreateErr == nil {
				t.Fatal("the pod was admitted; want a denial")
			}
			msg := d.CreateErr.Error()
			for _, want := range tc.wants {
				if !strings.Contains(msg, want) {
					t.Errorf("denial %q does not mention %q", msg, want)
				}
			}
			assertNoSecretIn(t, "the denial", msg, d)
			var pods corev1.PodList
			if err := world.Cluster.Client.List(ctx, &pods); err != nil {
				t.Fatal(err)
			}
			for _, p := range pods.Items {
				if p.Namespace == d.Namespace {
					t.Errorf("pod %s exists after a denial", p.Name)
				}
			}
		})
	}
}

func deploy(
	ctx context.Context, t *testing.T, opts scenario.AssistantOptions,
) *scenario.Deployment {
	t.Helper()
	d, err := world.DeployAssistant(ctx, opts)
	if err != nil {
		t.Fatalf("deploying the assistant: %v", err)
	}
	return d
}

func prepare(ctx context.Context, t *testing.T, d *scenario.Deployment) *harness.RunningPod {
	t.Helper()
	pod, err := world.Kubelet(d.EndpointsPath).Prepare(ctx, d.Pod)
	if err != nil {
		t.Fatalf("preparing the pod's volumes: %v", err)
	}
	t.Cleanup(pod.Stop)
	return pod
}

func assertInjected(t *testing.T, pod *corev1.Pod) {
	t.Helper()
	if got := pod.Annotations["rasa-vault-webhook.io/status"]; got != "injected" {
		t.Errorf("status annotation = %q; want injected", got)
	}
	inits := pod.Spec.InitContainers
	if len(inits) < 2 || inits[0].Name != "rvw-init" || inits[1].Name != "rvw-agent" {
		t.Fatalf("init containers = %v; want rvw-init then rvw-agent first", names(inits))
	}
	if inits[0].RestartPolicy != nil {
		t.Error("rvw-init must be a plain init container")
	}
	if p := inits[1].RestartPolicy; p == nil || *p != corev1.ContainerRestartPolicyAlways {
		t.Error("rvw-agent must be a native sidecar (restartPolicy Always)")
	}
	var tmpfs *corev1.Volume
	for i := range pod.Spec.Volumes {
		if pod.Spec.Volumes[i].Name == "rvw-secrets" {
			tmpfs = &pod.Spec.Volumes[i]
		}
	}
	if tmpfs == nil || tmpfs.EmptyDir == nil ||
		tmpfs.EmptyDir.Medium != corev1.StorageMediumMemory ||
		tmpfs.EmptyDir.SizeLimit == nil || tmpfs.EmptyDir.SizeLimit.IsZero() {
		t.Errorf("rvw-secrets volume = %+v; want a memory emptyDir with a size limit", tmpfs)
	}
	for _, c := range pod.Spec.Containers {
		for _, e := range c.Env {
			if e.Name == "SECRET_MANAGER" || strings.HasPrefix(e.Name, "VAULT_") {
				t.Errorf("container %s still has %s", c.Name, e.Name)
			}
		}
	}
	for _, c := range inits[:2] {
		var token *corev1.EnvVar
		for i := range c.Env {
			if c.Env[i].Name == "VAULT_TOKEN" {
				token = &c.Env[i]
			}
		}
		if token == nil || token.Value != "" || token.ValueFrom == nil ||
			token.ValueFrom.SecretKeyRef == nil {
			t.Errorf("%s: VAULT_TOKEN = %+v; want the secretKeyRef moved as it was", c.Name, token)
		}
	}
}

func assertResolvedFile(t *testing.T, pod *harness.RunningPod, d *scenario.Deployment) string {
	t.Helper()
	path, err := pod.HostPath("rasa", d.EndpointsPath)
	if err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatalf("resolved endpoints.yml: %v", err)
	}
	if perm := st.Mode().Perm(); perm&0o337 != 0 {
		t.Errorf("resolved file mode %v; want 0440 or stricter", perm)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]map[string]any
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatalf("resolved file is not YAML: %v", err)
	}
	if _, ok := doc["secrets_manager"]; ok {
		t.Error("resolved file still has secrets_manager")
	}
	ts := doc["tracker_store"]
	if ts["username"] != d.DBUser || ts["password"] != d.DBPassword {
		t.Errorf("tracker_store username/password not resolved to the Vault values")
	}
	return path
}

func assertCopied(t *testing.T, pod *harness.RunningPod, path, want string) {
	t.Helper()
	local, err := pod.HostPath("rasa", path)
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(local)
	if err != nil || !strings.Contains(string(data), want) {
		t.Errorf("%s = %q, %v; want the ConfigMap's file", path, data, err)
	}
}

func assertNoSecretIn(t *testing.T, what, text string, d *scenario.Deployment) {
	t.Helper()
	for _, s := range d.Secrets() {
		if s != "" && strings.Contains(text, s) {
			t.Errorf("%s contains a planted secret value", what)
		}
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func names(cs []corev1.Container) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c.Name)
	}
	return out
}

// assertAssistantLogsIn runs the stand-in assistant of pod, which must exit 0 having
// logged in to the tracker store as d's user.
func assertAssistantLogsIn(ctx context.Context, t *testing.T, pod *harness.RunningPod,
	d *scenario.Deployment) {
	t.Helper()
	res, err := pod.Run(ctx, "rasa", 30*time.Second)
	if err != nil || res.ExitCode != 0 {
		t.Fatalf("stand-in assistant: exit %d, %v\n%s", res.ExitCode, err, res.Output)
	}
	if !strings.Contains(res.Output, "tracker store login ok: user="+d.DBUser) {
		t.Errorf("assistant output lacks the login line:\n%s", res.Output)
	}
}
