package main

import (
	"strconv"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// replicaPods is how many pods each admission loop sends in turn: more than a
// PatchCache keeps, so that the distinct loop never finds an answer to reuse.
const replicaPods = 1024

// tokenSuffixLetters are the characters of the ServiceAccount plugin's random suffix
// (apimachinery's rand.String alphabet).
const tokenSuffixLetters = "bcdfghjklmnpqrstvwxz2456789"

// replicaBodies returns replicaPods reviews of pod as the apiserver sends the pods of
// one ReplicaSet: each with a token volume name of its own (kube-api-access-<5
// characters>, as the ServiceAccount plugin names it) and a managedFields entry stamped
// with the second it was created in (100 pods per second). With distinct, each pod
// also carries an annotation of its own, as pods of different Deployments differ.
func replicaBodies(pod *corev1.Pod, distinct bool) ([][]byte, error) {
	start := time.Date(2026, 12, 4, 9, 0, 0, 0, time.UTC)
	bodies := make([][]byte, 0, replicaPods)
	for i := range replicaPods {
		p := pod.DeepCopy()
		renameTokenVolume(p, "kube-api-access-"+tokenSuffix(i))
		at := metav1.NewTime(start.Add(time.Duration(i/100) * time.Second))
		p.ManagedFields = []metav1.ManagedFieldsEntry{{
			Manager: "kube-controller-manager", Operation: metav1.ManagedFieldsOperationUpdate,
			APIVersion: "v1", Time: &at, FieldsType: "FieldsV1",
			FieldsV1: &metav1.FieldsV1{Raw: []byte(`{"f:metadata":{"f:annotations":{},` +
				`"f:generateName":{},"f:labels":{},"f:ownerReferences":{}},"f:spec":{}}`)},
		}}
		if distinct {
			p.Annotations["bench.rasa-vault-webhook.io/pod"] = strconv.Itoa(i)
		}
		body, err := reviewBody(p)
		if err != nil {
			return nil, err
		}
		bodies = append(bodies, body)
	}
	return bodies, nil
}

// tokenSuffix is the i-th five-character suffix.
func tokenSuffix(i int) string {
	b := make([]byte, 5)
	for j := range b {
		b[j] = tokenSuffixLetters[i%len(tokenSuffixLetters)]
		i /= len(tokenSuffixLetters)
	}
	return string(b)
}

// renameTokenVolume gives the pod's token volume, and its mounts, the name name.
func renameTokenVolume(pod *corev1.Pod, name string) {
	for i := range pod.Spec.Volumes {
		if pod.Spec.Volumes[i].Name == saTokenVolume {
			pod.Spec.Volumes[i].Name = name
		}
	}
	for i := range pod.Spec.Containers {
		for j := range pod.Spec.Containers[i].VolumeMounts {
			if m := &pod.Spec.Containers[i].VolumeMounts[j]; m.Name == saTokenVolume {
				m.Name = name
			}
		}
	}
}
