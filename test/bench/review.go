package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"

	admissionv1 "k8s.io/api/admission/v1"
	authnv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/yaml"
)

// The annotations each webhook reads. The benchmark pod carries both sets, so the very
// same review goes to both webhooks and each injects its own agent.
var benchAnnotations = map[string]string{
	"rasa-vault-webhook.io/inject":                            "true",
	"vault.hashicorp.com/agent-inject":                        "true",
	"vault.hashicorp.com/role":                                "support-bot",
	"vault.hashicorp.com/agent-inject-secret-endpoints.yml":   "secret/data/rasa-secrets",
	"vault.hashicorp.com/agent-inject-template-endpoints.yml": vaultTemplate,
}

// saTokenVolume is the projected token volume the ServiceAccount admission plugin adds
// to every pod before webhooks see it; vault-k8s refuses a pod without it.
const saTokenVolume = "kube-api-access-7x2lq"

// sample is the Rasa-chart-style ConfigMap and Pod the benchmark uses.
type sample struct {
	ConfigMap *corev1.ConfigMap
	Pod       *corev1.Pod
}

// loadSample reads the two documents of the sample file.
func loadSample(path string) (*sample, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading the sample %s: %w", path, err)
	}
	s := &sample{ConfigMap: &corev1.ConfigMap{}, Pod: &corev1.Pod{}}
	docs := bytes.Split(data, []byte("\n---\n"))
	if len(docs) != 2 {
		return nil, fmt.Errorf("the sample %s holds %d documents, want 2", path, len(docs))
	}
	if err := yaml.UnmarshalStrict(docs[0], s.ConfigMap); err != nil {
		return nil, fmt.Errorf("decoding the sample's ConfigMap: %w", err)
	}
	if err := yaml.UnmarshalStrict(docs[1], s.Pod); err != nil {
		return nil, fmt.Errorf("decoding the sample's Pod: %w", err)
	}
	return s, nil
}

// admittedPod returns the pod as a webhook sees it on CREATE: the benchmark
// annotations, the service-account token volume and the defaults the apiserver fills in
// before mutating admission.
func (s *sample) admittedPod() *corev1.Pod {
	pod := s.Pod.DeepCopy()
	if pod.Annotations == nil {
		pod.Annotations = map[string]string{}
	}
	for k, v := range benchAnnotations {
		pod.Annotations[k] = v
	}
	spec := &pod.Spec
	spec.ServiceAccountName = "default"
	spec.RestartPolicy = corev1.RestartPolicyAlways
	spec.DNSPolicy = corev1.DNSClusterFirst
	spec.SchedulerName = corev1.DefaultSchedulerName
	spec.TerminationGracePeriodSeconds = ptr.To[int64](30)
	spec.EnableServiceLinks = ptr.To(true)
	spec.Priority = ptr.To[int32](0)
	spec.PreemptionPolicy = ptr.To(corev1.PreemptLowerPriority)
	for _, key := range []string{"node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable"} {
		spec.Tolerations = append(spec.Tolerations, corev1.Toleration{
			Key: key, Operator: corev1.TolerationOpExists,
			Effect: corev1.TaintEffectNoExecute, TolerationSeconds: ptr.To[int64](300),
		})
	}
	spec.Volumes = append(spec.Volumes, tokenVolume())
	for i := range spec.Containers {
		c := &spec.Containers[i]
		c.ImagePullPolicy = corev1.PullIfNotPresent
		c.TerminationMessagePath = corev1.TerminationMessagePathDefault
		c.TerminationMessagePolicy = corev1.TerminationMessageReadFile
		c.VolumeMounts = append(c.VolumeMounts, corev1.VolumeMount{
			Name: saTokenVolume, ReadOnly: true,
			MountPath: "/var/run/secrets/kubernetes.io/serviceaccount",
		})
	}
	return pod
}

// tokenVolume is the projected volume the ServiceAccount plugin adds: a bound token,
// the cluster CA and the namespace.
func tokenVolume() corev1.Volume {
	return corev1.Volume{Name: saTokenVolume, VolumeSource: corev1.VolumeSource{
		Projected: &corev1.ProjectedVolumeSource{
			DefaultMode: ptr.To[int32](0o644),
			Sources: []corev1.VolumeProjection{
				{ServiceAccountToken: &corev1.ServiceAccountTokenProjection{
					Path: "token", ExpirationSeconds: ptr.To[int64](3607)}},
				{ConfigMap: &corev1.ConfigMapProjection{
					LocalObjectReference: corev1.LocalObjectReference{Name: "kube-root-ca.crt"},
					Items:                []corev1.KeyToPath{{Key: "ca.crt", Path: "ca.crt"}}}},
				{DownwardAPI: &corev1.DownwardAPIProjection{Items: []corev1.DownwardAPIVolumeFile{{
					Path: "namespace", FieldRef: &corev1.ObjectFieldSelector{
						APIVersion: "v1", FieldPath: "metadata.namespace"}}}}},
			},
		},
	}}
}

// reviewBody is the AdmissionReview the apiserver posts for the ReplicaSet controller's
// CREATE of pod, as JSON.
func reviewBody(pod *corev1.Pod) ([]byte, error) {
	raw, err := json.Marshal(pod)
	if err != nil {
		return nil, fmt.Errorf("encoding the pod: %w", err)
	}
	opts, err := json.Marshal(metav1.CreateOptions{
		TypeMeta: metav1.TypeMeta{APIVersion: "meta.k8s.io/v1", Kind: "CreateOptions"},
	})
	if err != nil {
		return nil, fmt.Errorf("encoding the create options: %w", err)
	}
	podGVK := metav1.GroupVersionKind{Version: "v1", Kind: "Pod"}
	podGVR := metav1.GroupVersionResource{Version: "v1", Resource: "pods"}
	review := admissionv1.AdmissionReview{
		TypeMeta: metav1.TypeMeta{APIVersion: "admission.k8s.io/v1", Kind: "AdmissionReview"},
		Request: &admissionv1.AdmissionRequest{
			UID:         "5a0b3f8e-9d6c-4e51-a0c2-7f1e2b3c4d5e",
			Kind:        podGVK,
			Resource:    podGVR,
			RequestKind: &podGVK, RequestResource: &podGVR,
			Namespace: pod.Namespace,
			Operation: admissionv1.Create,
			UserInfo: authnv1.UserInfo{
				Username: "system:serviceaccount:kube-system:replicaset-controller",
				UID:      "0f6c2a1e-3b4d-4c5e-8f7a-9b0c1d2e3f40",
				Groups: []string{"system:serviceaccounts",
					"system:serviceaccounts:kube-system", "system:authenticated"},
			},
			Object:  runtime.RawExtension{Raw: raw},
			DryRun:  ptr.To(false),
			Options: runtime.RawExtension{Raw: opts},
		},
	}
	body, err := json.Marshal(review)
	if err != nil {
		return nil, fmt.Errorf("encoding the admission review: %w", err)
	}
	return body, nil
}

// acceptPatch accepts an answer that allows the pod with a JSONPatch: the webhook
// injected, which is the work being measured.
func acceptPatch(body []byte) bool {
	return bytes.Contains(body, []byte(`"allowed":true`)) &&
		bytes.Contains(body, []byte(`"patch":"`))
}
