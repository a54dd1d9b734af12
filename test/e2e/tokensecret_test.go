package e2e

import (
	"bytes"
	"context"
	"io"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/yaml"

	"github.com/rasa-vault-webhook/rasa-vault-webhook/test/harness"
	"github.com/rasa-vault-webhook/rasa-vault-webhook/test/scenario"
)

// chartSample is the chart-style Pod the scenario deploys; this test deploys it again
// with the token-secret annotation in place of the assistant's own VAULT_TOKEN.
const chartSample = "../scenario/testdata/rasa-chart-style.yaml"

func TestTokenSecretIsMountedAsAFileAndARotatedSecretIsFollowed(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	// The scenario's namespace, Vault secret, database login, token Secret
	// (support-bot-vault, key token) and ConfigMap; its own pod is left alone.
	d := deploy(ctx, t, scenario.AssistantOptions{})
	if d.CreateErr != nil {
		t.Fatalf("creating the scenario's pod: %v", d.CreateErr)
	}

	pod := tokenSecretPod(t, d)
	if err := world.Cluster.Client.Create(ctx, pod); err != nil {
		t.Fatalf("creating the pod with the token-secret annotation: %v", err)
	}
	assertTokenFileInjected(t, pod)
	assertNoSecretIn(t, "the stored pod", mustJSON(t, pod), d)

	running, err := world.Kubelet(d.EndpointsPath).Prepare(ctx, pod)
	if err != nil {
		t.Fatalf("preparing the pod's volumes: %v", err)
	}
	t.Cleanup(running.Stop)
	if _, err := running.RunInitContainers(ctx, initTimeout); err != nil {
		t.Fatalf("init containers: %v\n%s", err, running.Output())
	}
	resolved := assertResolvedFile(t, running, d)
	assertAssistantLogsIn(ctx, t, running, d)
	agent := running.Sidecar("rvw-agent")
	if agent == nil || agent.Exited() {
		t.Fatalf("renewal agent is not running:\n%s", running.Output())
	}

	// Rotate: a new token in the Secret, the kubelet's re-projection, the old token
	// revoked. The agent's next read is refused, so it looks at the file at once.
	newToken := rotateTokenSecret(ctx, t, d)
	if err := running.ResyncSecretVolumes(ctx); err != nil {
		t.Fatal(err)
	}
	if err := world.Vault.RevokeToken(d.Token); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 45*time.Second, "the agent to adopt the rotated token", func() bool {
		return strings.Contains(agent.Output(), `"msg":"token file changed; using the new token"`)
	})

	// Reads now go with the new token: a changed value in Vault reaches the file.
	newPassword := "pw-rotated-" + harness.RandomHex(8)
	if err := world.Vault.PutSecret("secret", secretsPathOf(d), map[string]any{
		"sql_store_username": d.DBUser, "sql_store_password": newPassword,
	}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 30*time.Second, "the file re-read with the rotated token", func() bool {
		data, err := os.ReadFile(resolved)
		return err == nil && strings.Contains(string(data), newPassword)
	})
	if agent.Exited() {
		t.Errorf("the renewal agent exited after the rotation:\n%s", running.Output())
	}

	running.Stop()
	planted := append(d.Secrets(), newToken, newPassword)
	for what, text := range map[string]string{
		"container output": running.Output(),
		"webhook output":   world.WebhookLog.String(),
		"events":           namespaceEvents(ctx, t, d.Namespace),
	} {
		for _, s := range planted {
			if strings.Contains(text, s) {
				t.Errorf("%s contains a planted secret or token value", what)
			}
		}
	}
}

// tokenSecretPod is the chart-style Pod for d's namespace, with the token Secret named
// by annotation instead of the assistant's VAULT_TOKEN, and a quick refresh.
func tokenSecretPod(t *testing.T, d *scenario.Deployment) *corev1.Pod {
	t.Helper()
	data, err := os.ReadFile(chartSample)
	if err != nil {
		t.Fatal(err)
	}
	dec := yaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096)
	var cm corev1.ConfigMap
	pod := &corev1.Pod{}
	if err := dec.Decode(&cm); err != nil {
		t.Fatalf("decoding the sample ConfigMap: %v", err)
	}
	if err := dec.Decode(pod); err != nil && err != io.EOF {
		t.Fatalf("decoding the sample Pod: %v", err)
	}

	pod.Namespace = d.Namespace
	pod.Annotations = map[string]string{
		"rasa-vault-webhook.io/inject":           "true",
		"rasa-vault-webhook.io/token-secret":     "support-bot-vault",
		"rasa-vault-webhook.io/refresh-interval": "1s",
	}
	rasa := &pod.Spec.Containers[0]
	var env []corev1.EnvVar
	for _, e := range rasa.Env {
		switch e.Name {
		case "VAULT_TOKEN", "RASA_PRO_LICENSE":
			continue
		case "VAULT_URL":
			e.Value = world.Vault.Addr
		}
		env = append(env, e)
	}
	rasa.Env = env
	return pod
}

// assertTokenFileInjected checks that the token reaches the injected containers as a
// read-only Secret file and reaches neither their env nor the assistant.
func assertTokenFileInjected(t *testing.T, pod *corev1.Pod) {
	t.Helper()
	inits := pod.Spec.InitContainers
	if len(inits) < 2 || inits[0].Name != "rvw-init" || inits[1].Name != "rvw-agent" {
		t.Fatalf("init containers = %v; want rvw-init then rvw-agent first", names(inits))
	}
	var volume *corev1.Volume
	for i := range pod.Spec.Volumes {
		if pod.Spec.Volumes[i].Name == "rvw-token-secret" {
			volume = &pod.Spec.Volumes[i]
		}
	}
	if volume == nil || volume.Secret == nil || volume.Secret.SecretName != "support-bot-vault" {
		t.Fatalf("rvw-token-secret volume = %+v; want Secret support-bot-vault", volume)
	}
	for _, c := range inits[:2] {
		if !slices.Contains(c.Command, "--token-file=/rvw/vault-token/token") {
			t.Errorf("%s: command %v lacks --token-file", c.Name, c.Command)
		}
		for _, e := range c.Env {
			if e.Name == "VAULT_TOKEN" {
				t.Errorf("%s: has VAULT_TOKEN %+v; want the token from the file only", c.Name, e)
			}
		}
		mounted := false
		for _, m := range c.VolumeMounts {
			mounted = mounted || m.Name == "rvw-token-secret" && m.ReadOnly
		}
		if !mounted {
			t.Errorf("%s: no read-only mount of rvw-token-secret", c.Name)
		}
	}
	for _, c := range pod.Spec.Containers {
		for _, m := range c.VolumeMounts {
			if m.Name == "rvw-token-secret" {
				t.Errorf("container %s mounts the token Secret", c.Name)
			}
		}
	}
}

// rotateTokenSecret puts a new token, with the old one's policy, in the token Secret.
func rotateTokenSecret(ctx context.Context, t *testing.T, d *scenario.Deployment) string {
	t.Helper()
	token, err := world.Vault.CreateToken([]string{"policy-" + secretsPathOf(d)}, time.Hour, true)
	if err != nil {
		t.Fatal(err)
	}
	secrets := world.Cluster.Clientset.CoreV1().Secrets(d.Namespace)
	s, err := secrets.Get(ctx, "support-bot-vault", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	s.Data = map[string][]byte{"token": []byte(token)}
	if _, err := secrets.Update(ctx, s, metav1.UpdateOptions{}); err != nil {
		t.Fatalf("rotating the token Secret: %v", err)
	}
	return token
}

// secretsPathOf is the Vault path the scenario gave d's secrets.
func secretsPathOf(d *scenario.Deployment) string {
	return "rasa-secrets-" + strings.TrimPrefix(d.Namespace, "assistants-")
}

// namespaceEvents is every event message in the namespace, for the leak check.
func namespaceEvents(ctx context.Context, t *testing.T, namespace string) string {
	t.Helper()
	list, err := world.Cluster.Clientset.CoreV1().Events(namespace).List(ctx,
		metav1.ListOptions{})
	if err != nil {
		t.Fatalf("listing events: %v", err)
	}
	var b strings.Builder
	for _, e := range list.Items {
		b.WriteString(e.Reason + " " + e.Message + "\n")
	}
	return b.String()
}
