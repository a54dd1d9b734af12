// Package webhook answers the kube-apiserver's admission reviews for pods: it decodes
// the pod, reads the one ConfigMap that holds its endpoints.yml, lets pkg/inject decide
// and change the pod, and turns the outcome into an admission response. The response's
// JSONPatch is written for the places pkg/inject changed, so fields of the raw pod this
// webhook's types do not know reach the apiserver untouched.
//
// It never calls Vault and never reads a Secret: the only API read is a GET of that
// ConfigMap, in the pod's own namespace, bounded by a short timeout and rate-limited,
// and skipped when ConfigMapCache holds a recent copy. Everything else is pure and
// lives in pkg/inject. A review has no side effects, so dry-run requests are answered
// exactly like real ones. Reviews are counted and timed on Registry, and each gets one
// log line with its UID, namespace and pod.
//
// Handler is a plain http.Handler and pkg/serving its TLS server: neither
// controller-runtime nor client-go is linked into the binary, whose agent subcommand
// would otherwise carry their memory (docs/benchmarks.md).
package webhook
