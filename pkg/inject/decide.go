package inject

import (
	"fmt"
	"slices"

	corev1 "k8s.io/api/core/v1"
)

// Reasons a Decision gives; stable strings, meant for logs and metrics labels.
const (
	// ReasonOptedIn: the pod asks for injection and gets it.
	ReasonOptedIn = "opted in"
	// ReasonNotOptedIn: the pod has no AnnotationInject.
	ReasonNotOptedIn = "not opted in"
	// ReasonOptedOut: AnnotationInject is "false".
	ReasonOptedOut = "opted out"
	// ReasonAlreadyInjected: the pod carries AnnotationStatus already.
	ReasonAlreadyInjected = "already injected"
	// ReasonExcludedNamespace: the pod's namespace is never touched.
	ReasonExcludedNamespace = "namespace excluded"
)

// Decision says whether a pod is to be injected and why.
type Decision struct {
	// Inject is true when Locate and Mutate should run.
	Inject bool
	// Reason is one of the Reason constants.
	Reason string
}

// Decide is the first step: it reads the pod's annotations and namespace only. The
// namespace is passed explicitly because an admission request carries it even when the
// pod object does not. An invalid AnnotationInject is a *Denial listing every annotation
// problem, unless the namespace is excluded or the pod is already injected: those are
// never touched at all. The settings annotations of an opted-in pod are checked by
// Plan and Mutate, together with the problems found there.
func Decide(pod *corev1.Pod, namespace string, opts Options) (Decision, error) {
	if opts.excluded(namespace) {
		return Decision{Reason: ReasonExcludedNamespace}, nil
	}

	optIn, hasOptIn := pod.Annotations[AnnotationInject]
	if status, ok := pod.Annotations[AnnotationStatus]; ok {
		if status == StatusInjected && hasInjectedParts(pod) {
			return Decision{Reason: ReasonAlreadyInjected}, nil
		}
		// Anything else is a hand-written status: honouring it would admit an opted-in
		// pod uninjected, with its VAULT_* env still on the assistant.
		if hasOptIn && optIn != "false" {
			return Decision{}, deny(fmt.Sprintf("annotation %s: %q, but the pod lacks "+
				"what the webhook injects: this annotation is written by the webhook only, "+
				"remove it", AnnotationStatus, status))
		}
	}

	if !hasOptIn {
		return Decision{Reason: ReasonNotOptedIn}, nil
	}

	switch pod.Annotations[AnnotationInject] {
	case "false":
		return Decision{Reason: ReasonOptedOut}, nil
	case "true":
		return Decision{Inject: true, Reason: ReasonOptedIn}, nil
	}

	// A bad opt-in value: report it with every other annotation problem.
	if _, err := ReadSettings(pod, opts); err != nil {
		return Decision{}, fmt.Errorf("reading pod annotations: %w", err)
	}

	return Decision{Inject: true, Reason: ReasonOptedIn}, nil
}

// hasInjectedParts reports whether the pod carries what Mutate adds: the init container
// and the memory volume. Only then does AnnotationStatus mean the work is done.
func hasInjectedParts(pod *corev1.Pod) bool {
	init := slices.ContainsFunc(pod.Spec.InitContainers, func(c corev1.Container) bool {
		return c.Name == InitContainerName
	})
	volume := slices.ContainsFunc(pod.Spec.Volumes, func(v corev1.Volume) bool {
		return v.Name == SecretsVolumeName
	})
	return init && volume
}
