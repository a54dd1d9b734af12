// Package kube is the webhook's small Kubernetes REST client: it reads one ConfigMap
// per admission review and the apiserver's version at start-up, and nothing else.
//
// It replaces client-go and controller-runtime in the product binary, whose package
// initialisers cost about 16 MiB of memory in every process started from it (the
// injected agent too). The client follows client-go where behaviour is visible to
// operators: kubeconfig and in-cluster configuration, relative paths resolved against
// the kubeconfig's directory, token files re-read at most once a minute, and errors
// from the apiserver returned as *apierrors.StatusError so apierrors.IsNotFound and
// friends work unchanged.
//
// Deliberately unsupported: exec and auth-provider plugins, impersonation, proxies
// and merging several kubeconfig files. `webhook serve` normally runs in-cluster with
// a service-account token; outside a cluster, a token or a client certificate does.
package kube
