package scenario

import (
	"bytes"
	"context"
	_ "embed"
	"fmt"
	"io"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/yaml"

	"github.com/rasa-vault-webhook/rasa-vault-webhook/test/harness"
)

//go:embed testdata/rasa-chart-style.yaml
var chartStyleSample []byte

// Layout is how the assistant's ConfigMap reaches its container.
type Layout string

const (
	// SubPathLayout is the Rasa Helm chart's: key "endpoints" mapped by items to
	// endpoints.yml and mounted with subPath at /app/endpoints.yml.
	SubPathLayout Layout = "subPath"
	// DirectoryLayout mounts the whole ConfigMap at /app/config and points Rasa at
	// /app/config/endpoints.yml with --endpoints.
	DirectoryLayout Layout = "directory"
)

// AssistantOptions varies the deployment for negative cases.
type AssistantOptions struct {
	Layout Layout
	// SecretKey replaces the password reference's secret_key (a key absent in Vault).
	SecretKey string
	// Token, when set, is put in the token Secret instead of a fresh valid token.
	Token string
	// SkipConfigMap leaves the ConfigMap out (the webhook must deny the pod).
	SkipConfigMap bool
	// Endpoints, when set, replaces the whole endpoints.yml.
	Endpoints string
}

// Deployment is an assistant as deployed: its planted secrets (for the tests' leak
// checks) and the Pod as the apiserver stored it, or the error the client got.
type Deployment struct {
	Namespace  string
	DBUser     string
	DBName     string
	DBPassword string
	Token      string
	// EndpointsPath is where the assistant container reads endpoints.yml.
	EndpointsPath string
	Pod           *corev1.Pod
	CreateErr     error
}

// Secrets returns every value that must never appear in a stored object or a log.
func (d *Deployment) Secrets() []string {
	return []string{d.DBPassword, d.Token}
}

// sample decodes the chart-style ConfigMap and Pod.
func sample() (*corev1.ConfigMap, *corev1.Pod, error) {
	dec := yaml.NewYAMLOrJSONDecoder(bytes.NewReader(chartStyleSample), 4096)
	cm, pod := &corev1.ConfigMap{}, &corev1.Pod{}
	if err := dec.Decode(cm); err != nil {
		return nil, nil, fmt.Errorf("decoding the sample ConfigMap: %w", err)
	}
	if err := dec.Decode(pod); err != nil && err != io.EOF {
		return nil, nil, fmt.Errorf("decoding the sample Pod: %w", err)
	}
	return cm, pod, nil
}

// DeployAssistant creates a restricted namespace, the assistant's credentials in Vault
// and PostgreSQL, a Secret with its Vault token, its ConfigMap and its Pod, through the
// real apiserver. The Pod create goes through the webhook.
func (w *World) DeployAssistant(ctx context.Context, opts AssistantOptions) (*Deployment, error) {
	suffix := harness.RandomHex(4)
	d := &Deployment{
		Namespace: "assistants-" + suffix,
		DBUser:    "rasa_" + suffix,
		DBName:    "tracker_" + suffix,
		// Characters that break naive YAML or shell handling, and a ${VAR} Rasa would expand.
		DBPassword: "pw-" + harness.RandomHex(8) + `:#'"${HOME} \ end`,
		Token:      opts.Token,
	}
	if err := w.createNamespace(ctx, d.Namespace); err != nil {
		return nil, err
	}
	if err := w.Postgres.CreateLogin(ctx, d.DBUser, d.DBPassword, d.DBName); err != nil {
		return nil, err
	}
	secretsPath := "rasa-secrets-" + suffix
	if err := w.Vault.PutSecret("secret", secretsPath, map[string]any{
		"sql_store_username": d.DBUser,
		"sql_store_password": d.DBPassword,
	}); err != nil {
		return nil, err
	}
	if d.Token == "" {
		token, err := w.readOnlyToken(ctx, secretsPath)
		if err != nil {
			return nil, err
		}
		d.Token = token
	}
	tokenSecret := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "support-bot-vault", Namespace: d.Namespace},
		StringData: map[string]string{"token": d.Token},
	}
	if err := w.Cluster.Client.Create(ctx, tokenSecret); err != nil {
		return nil, fmt.Errorf("creating the token Secret: %w", err)
	}

	cm, pod, err := w.assistantObjects(d, secretsPath, opts)
	if err != nil {
		return nil, err
	}
	if !opts.SkipConfigMap {
		if err := w.Cluster.Client.Create(ctx, cm); err != nil {
			return nil, fmt.Errorf("creating the ConfigMap: %w", err)
		}
	}
	createCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := w.Cluster.Client.Create(createCtx, pod); err != nil {
		d.CreateErr = err
		return d, nil
	}
	d.Pod = pod
	return d, nil
}

func (w *World) createNamespace(ctx context.Context, name string) error {
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{
		Name:   name,
		Labels: map[string]string{"pod-security.kubernetes.io/enforce": "restricted"},
	}}
	if err := w.Cluster.Client.Create(ctx, ns); err != nil {
		return fmt.Errorf("creating namespace %s: %w", name, err)
	}
	return nil
}

// readOnlyToken mints a renewable token whose policy may read only this secret.
func (w *World) readOnlyToken(ctx context.Context, secretsPath string) (string, error) {
	policy := "policy-" + secretsPath
	rules := fmt.Sprintf("path \"secret/data/%s\" {\n  capabilities = [\"read\"]\n}\n", secretsPath)
	if err := w.Vault.WritePolicy(policy, rules); err != nil {
		return "", err
	}
	return w.Vault.CreateToken([]string{policy}, time.Hour, true)
}

// assistantObjects adapts the chart-style sample to this world: real addresses, the
// chosen layout, and the variations the options ask for.
func (w *World) assistantObjects(d *Deployment, secretsPath string, opts AssistantOptions) (
	*corev1.ConfigMap, *corev1.Pod, error) {
	cm, pod, err := sample()
	if err != nil {
		return nil, nil, err
	}
	cm.Namespace, pod.Namespace = d.Namespace, d.Namespace
	endpoints := cm.Data["endpoints"]
	endpoints = strings.Replace(endpoints, "secrets_path: rasa-secrets",
		"secrets_path: "+secretsPath, 1)
	endpoints = strings.Replace(endpoints, "url: postgres.assistants.svc",
		fmt.Sprintf("url: %s\n  port: %d", w.Postgres.Host, w.Postgres.Port), 1)
	endpoints = strings.Replace(endpoints, "db: rasa", "db: "+d.DBName, 1)
	if opts.SecretKey != "" {
		endpoints = strings.Replace(endpoints, "secret_key: sql_store_password",
			"secret_key: "+opts.SecretKey, 1)
	}
	if opts.Endpoints != "" {
		endpoints = opts.Endpoints
	}
	cm.Data["endpoints"] = endpoints

	rasa := &pod.Spec.Containers[0]
	for i := range rasa.Env {
		if rasa.Env[i].Name == "VAULT_URL" {
			rasa.Env[i].Value = w.Vault.Addr
		}
	}
	// The license Secret is not part of this scenario.
	rasa.Env = dropEnv(rasa.Env, "RASA_PRO_LICENSE")
	pod.Annotations = map[string]string{"rasa-vault-webhook.io/inject": "true"}
	d.EndpointsPath = "/app/endpoints.yml"

	if opts.Layout == DirectoryLayout {
		cm.Data = map[string]string{
			"endpoints.yml":   cm.Data["endpoints"],
			"credentials.yml": cm.Data["credentials"],
		}
		for i := range pod.Spec.Volumes {
			if pod.Spec.Volumes[i].ConfigMap != nil {
				pod.Spec.Volumes[i].ConfigMap.Items = nil
			}
		}
		rasa.VolumeMounts = append([]corev1.VolumeMount{{
			Name: "rasa-configuration", MountPath: "/app/config", ReadOnly: true,
		}}, rasa.VolumeMounts[2:]...)
		rasa.Args = append(rasa.Args, "--endpoints", "/app/config/endpoints.yml",
			"--credentials", "/app/config/credentials.yml")
		d.EndpointsPath = "/app/config/endpoints.yml"
	}
	return cm, pod, nil
}

func dropEnv(env []corev1.EnvVar, name string) []corev1.EnvVar {
	out := env[:0]
	for _, e := range env {
		if e.Name != name {
			out = append(out, e)
		}
	}
	return out
}

// Kubelet returns a pod runner that plays the injected containers with the real
// webhook binary and the assistant with the stand-in.
func (w *World) Kubelet(endpointsPath string) *harness.PodRunner {
	return &harness.PodRunner{
		Client:   w.Cluster.Clientset,
		Programs: map[string]string{"/webhook": w.WebhookBin},
		Overrides: map[string][]string{
			"rasa": {w.AssistantBin, "--endpoints=" + endpointsPath},
		},
	}
}
