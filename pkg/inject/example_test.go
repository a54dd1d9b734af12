package inject_test

import (
	"fmt"
	"slices"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/rasa-vault-webhook/rasa-vault-webhook/pkg/inject"
)

// The three steps on a pod that mounts its ConfigMap as a directory.
func Example() {
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "bot", Namespace: "assistants",
			Annotations: map[string]string{inject.AnnotationInject: "true"}},
		Spec: corev1.PodSpec{
			Containers: []corev1.Container{{
				Name: "rasa",
				Env: []corev1.EnvVar{
					{Name: "SECRET_MANAGER", Value: "vault"},
					{Name: "VAULT_URL", Value: "http://vault.vault.svc:8200"},
					{Name: "VAULT_TOKEN", ValueFrom: &corev1.EnvVarSource{
						SecretKeyRef: &corev1.SecretKeySelector{
							LocalObjectReference: corev1.LocalObjectReference{Name: "bot-vault"},
							Key:                  "token",
						},
					}},
				},
				VolumeMounts: []corev1.VolumeMount{{Name: "config", MountPath: "/app/config"}},
			}},
			Volumes: []corev1.Volume{{Name: "config", VolumeSource: corev1.VolumeSource{
				ConfigMap: &corev1.ConfigMapVolumeSource{
					LocalObjectReference: corev1.LocalObjectReference{Name: "bot-config"},
				},
			}}},
		},
	}
	cm := &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: "bot-config", Namespace: "assistants"},
		Data: map[string]string{"endpoints.yml": `tracker_store:
  type: SQL
  password:
    source: secrets_manager.vault
    secret_key: sql_store_password
`},
	}

	opts := inject.DefaultOptions()
	decision, _ := inject.Decide(pod, pod.Namespace, opts)
	target, _ := inject.Locate(pod)
	out, _, err := inject.Mutate(pod, cm, target, opts)
	if err != nil {
		fmt.Println(err)
		return
	}

	fmt.Println(decision.Reason, "/", target.Layout, target.ConfigMapName, target.Key)
	for _, c := range out.Spec.InitContainers {
		fmt.Println(c.Name, "once:", slices.Contains(c.Command, "--once"),
			"restart:", ptr.Deref(c.RestartPolicy, "-"), c.Command[len(c.Command)-1])
	}
	fmt.Println("assistant mounts", out.Spec.Containers[0].VolumeMounts[0].Name)
	// Output:
	// opted in / Directory bot-config endpoints.yml
	// rvw-init once: true restart: - --copy-others
	// rvw-agent once: false restart: Always --copy-others
	// assistant mounts rvw-secrets
}
