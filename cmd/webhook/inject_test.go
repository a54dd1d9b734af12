package main

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"
)

// injectPod and injectConfigMap are a minimal opted-in pod and its ConfigMap.
const (
	injectPod = `apiVersion: v1
kind: Pod
metadata:
  name: bot
  namespace: assistants
  annotations:
    rasa-vault-webhook.io/inject: "true"
    rasa-vault-webhook.io/token-secret: bot-vault
spec:
  containers:
    - name: rasa
      image: rasa/rasa-pro:3.11.2
      volumeMounts:
        - {name: config, mountPath: /app/endpoints.yml, subPath: endpoints.yml}
  volumes:
    - name: config
      configMap: {name: bot-config}
`
	injectConfigMap = `apiVersion: v1
kind: ConfigMap
metadata: {name: bot-config, namespace: assistants}
data:
  endpoints.yml: |
    secrets_manager: {type: vault, url: "http://vault:8200"}
    tracker_store:
      type: SQL
      password: {source: secrets_manager.vault, secret_key: pw}
`
)

func TestInjectCommand(t *testing.T) {
	tests := []struct {
		name       string
		pod, cm    string
		args       []string
		code       int
		stdout     []string
		stderr     []string
		noStdout   bool
		stdinInput string
	}{
		{name: "an opted-in pod is printed injected", pod: injectPod, cm: injectConfigMap,
			code: 0, stdout: []string{"name: rvw-init", "name: rvw-agent",
				"rasa-vault-webhook.io/status: injected", "secretName: bot-vault",
				"--token-file=/rvw/vault-token/token"}},
		{name: "the pod can come from stdin", cm: injectConfigMap, stdinInput: injectPod,
			args: []string{"-f", "-"}, code: 0, stdout: []string{"name: rvw-init"}},
		{name: "a bad annotation is the denial on stderr, exit 1", cm: injectConfigMap,
			pod:  strings.Replace(injectPod, "bot-vault", "Bad Name", 1),
			code: 1, noStdout: true, stderr: []string{"denied:",
				"annotation rasa-vault-webhook.io/token-secret"}},
		{name: "the old-apiserver preview warns on stderr", pod: injectPod, cm: injectConfigMap,
			args: []string{"--no-native-sidecars"}, code: 0,
			stderr: []string{"Warning: the apiserver has no native sidecars"}},
		{name: "a missing --configmap names the ConfigMap to pass", pod: injectPod, code: 2,
			noStdout: true, stderr: []string{`ConfigMap "bot-config"`}},
		{name: "a ConfigMap of another name is refused", pod: injectPod, code: 2,
			cm:       strings.Replace(injectConfigMap, "name: bot-config", "name: other", 1),
			noStdout: true, stderr: []string{`holds ConfigMap "other"`}},
		{name: "an unknown field in the pod is named", cm: injectConfigMap, code: 2,
			pod: strings.Replace(injectPod, "  containers:",
				"  containerz: []\n  containers:", 1),
			noStdout: true, stderr: []string{"containerz"}},
		{name: "a second document in the pod's file is refused", cm: injectConfigMap,
			pod: injectPod + "---\ngarbage: [\n", code: 2, noStdout: true,
			stderr: []string{"more than one object"}},
		{name: "a second object in the ConfigMap's file is refused", pod: injectPod,
			cm: injectConfigMap + "---\nkind: Pod\n", code: 2, noStdout: true,
			stderr: []string{"the ConfigMap manifest", "more than one object"}},
		{name: "empty documents around the object are fine", cm: injectConfigMap,
			pod: "---\n---\n# nothing\n---\n" + injectPod + "---\n---\n", code: 0,
			stdout: []string{"name: rvw-init"}},
		{name: "two JSON objects in one file are refused", cm: injectConfigMap,
			pod: `{"apiVersion":"v1","kind":"Pod"}` + "\n" + `{"kind":"Pod"}`, code: 2,
			noStdout: true, stderr: []string{"more than one object"}},
		{name: "stdin cannot serve both manifests", stdinInput: injectPod,
			args: []string{"-f", "-", "--configmap", "-"}, code: 2, noStdout: true,
			stderr: []string{"only one of them can read stdin"}},
		{name: "--namespace other than the pod's own is refused", pod: injectPod,
			cm: injectConfigMap, args: []string{"--namespace", "kube-system"}, code: 2,
			noStdout: true, stderr: []string{`--namespace kube-system`, `"assistants"`}},
		{name: "a pod not opted in is printed unchanged with the reason", cm: injectConfigMap,
			pod:  strings.Replace(injectPod, `inject: "true"`, `inject: "false"`, 1),
			code: 0, stdout: []string{"name: rasa"},
			stderr: []string{"pod left unchanged: opted out"}},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			args := []string{"inject"}
			if tt.pod != "" {
				args = append(args, "-f", writeFile(t, dir, "pod.yaml", tt.pod))
			}
			if tt.cm != "" {
				args = append(args, "--configmap", writeFile(t, dir, "cm.yaml", tt.cm))
			}
			args = append(args, tt.args...)

			var stdout, stderr bytes.Buffer
			code := runInject(args[1:], strings.NewReader(tt.stdinInput), &stdout, &stderr)
			if code != tt.code {
				t.Fatalf("exit %d, want %d; stderr:\n%s", code, tt.code, &stderr)
			}
			for _, want := range tt.stdout {
				if !strings.Contains(stdout.String(), want) {
					t.Errorf("stdout lacks %q:\n%s", want, &stdout)
				}
			}
			for _, want := range tt.stderr {
				if !strings.Contains(stderr.String(), want) {
					t.Errorf("stderr lacks %q:\n%s", want, &stderr)
				}
			}
			if tt.noStdout && stdout.Len() > 0 {
				t.Errorf("want nothing on stdout, got:\n%s", &stdout)
			}
		})
	}
}

// writeFile writes content to dir/name and returns the path.
func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestInjectedCommandsParseAsAgentFlags keeps the webhook and the agent agreeing: every
// flag the webhook writes into an injected container, with every setting annotation
// in use, is one the agent subcommand of the same binary accepts.
func TestInjectedCommandsParseAsAgentFlags(t *testing.T) {
	pod := strings.Replace(injectPod, "    rasa-vault-webhook.io/token-secret: bot-vault\n",
		"    rasa-vault-webhook.io/auth-method: kubernetes\n"+
			"    rasa-vault-webhook.io/auth-role: bot\n"+
			"    rasa-vault-webhook.io/auth-path: k8s/prod\n"+
			"    rasa-vault-webhook.io/refresh-interval: 10m\n", 1)
	dir := t.TempDir()
	var stdout, stderr bytes.Buffer
	code := runInject([]string{"-f", writeFile(t, dir, "pod.yaml", pod),
		"--configmap", writeFile(t, dir, "cm.yaml", injectConfigMap)},
		strings.NewReader(""), &stdout, &stderr)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, &stderr)
	}

	out := &corev1.Pod{}
	if err := yaml.UnmarshalStrict(stdout.Bytes(), out); err != nil {
		t.Fatal(err)
	}
	seen := 0
	for _, c := range out.Spec.InitContainers {
		if len(c.Command) < 2 || c.Command[1] != "agent" {
			continue
		}
		seen++
		if _, err := parseAgentFlags(c.Command[2:], io.Discard); err != nil {
			t.Errorf("container %q: the agent rejects %q: %v", c.Name, c.Command[2:], err)
		}
		if !slices.Contains(c.Command, "--auth-role=bot") {
			t.Errorf("container %q lacks the auth flags: %q", c.Name, c.Command)
		}
	}
	if seen != 2 {
		t.Errorf("found %d agent containers, want 2", seen)
	}
}
