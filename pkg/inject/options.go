package inject

import (
	"errors"
	"fmt"
	"maps"
	"slices"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// DefaultImage is the image DefaultOptions gives the injected containers; a deployment
// sets its own from the chart.
const DefaultImage = "rasa-vault-webhook:dev"

// Options are the operator's choices for what Mutate injects. They are set once at
// start-up; Validate reports a bad value before the first pod is reviewed.
type Options struct {
	// Image runs both the init container and the renewal agent.
	Image string
	// ImagePullPolicy of the injected containers; empty leaves Kubernetes' default.
	ImagePullPolicy corev1.PullPolicy
	// Resources of each injected container. Leave a quantity out to unset it; a zero
	// quantity is rejected because Kubernetes reads it as "nothing at all".
	Resources corev1.ResourceRequirements
	// SecretsVolumeSize caps the memory-backed volume holding the resolved files.
	SecretsVolumeSize resource.Quantity
	// ExcludedNamespaces are never touched, in addition to kube-system.
	ExcludedNamespaces []string
	// SidecarAsContainer runs the renewal agent as a regular container instead of a
	// native sidecar, for apiservers older than 1.29; such a pod gets a warning, since
	// the agent then neither starts before the assistant nor lets a Job complete.
	SidecarAsContainer bool
}

// DefaultOptions returns small, non-zero defaults. The agent was measured by other
// injectors at 1-15m CPU and 13-20Mi memory; the CPU limit stays generous because a
// tight one can stall a short-lived init container for minutes.
func DefaultOptions() Options {
	return Options{
		Image:           DefaultImage,
		ImagePullPolicy: corev1.PullIfNotPresent,
		Resources: corev1.ResourceRequirements{
			Requests: corev1.ResourceList{
				corev1.ResourceCPU:    resource.MustParse("10m"),
				corev1.ResourceMemory: resource.MustParse("24Mi"),
			},
			Limits: corev1.ResourceList{
				corev1.ResourceCPU:    resource.MustParse("500m"),
				corev1.ResourceMemory: resource.MustParse("64Mi"),
			},
		},
		// endpoints.yml and credentials.yml are a few KiB; 4Mi leaves room for many.
		SecretsVolumeSize: resource.MustParse("4Mi"),
	}
}

// Validate reports every option that would make injected pods fail or misbehave.
func (o Options) Validate() error {
	var errs []error
	if msg := imageProblem(o.Image); msg != "" {
		errs = append(errs, fmt.Errorf("image %q %s", o.Image, msg))
	}

	switch o.ImagePullPolicy {
	case "", corev1.PullAlways, corev1.PullIfNotPresent, corev1.PullNever:
	default:
		errs = append(errs, fmt.Errorf("image pull policy: %q is not one of Always, "+
			"IfNotPresent, Never", o.ImagePullPolicy))
	}

	if o.SecretsVolumeSize.Sign() <= 0 {
		errs = append(errs, errors.New("secrets volume size: must be greater than zero"))
	}

	errs = append(errs, zeroQuantities("requests", o.Resources.Requests)...)
	errs = append(errs, zeroQuantities("limits", o.Resources.Limits)...)

	return errors.Join(errs...)
}

// zeroQuantities names every zero or negative quantity in list.
func zeroQuantities(kind string, list corev1.ResourceList) []error {
	var errs []error
	for _, name := range slices.Sorted(maps.Keys(list)) {
		q := list[name]
		if q.Sign() <= 0 {
			errs = append(errs, fmt.Errorf("resources %s %s: %s is not allowed: "+
				"leave it out to unset it", kind, name, q.String()))
		}
	}
	return errs
}

// excluded reports whether pods in namespace must never be touched; kube-system always
// is, because its pods run the cluster itself.
func (o Options) excluded(namespace string) bool {
	if namespace == metav1.NamespaceSystem {
		return true
	}
	return slices.Contains(o.ExcludedNamespaces, namespace)
}
