// Package harness starts the real servers the end-to-end tests and the demo run on:
// etcd + kube-apiserver (controller-runtime envtest), a Vault dev server and PostgreSQL,
// all built or installed by the project's own scripts and bound to 127.0.0.1 only. It
// also holds the pod runner, which plays the kubelet for a mutated Pod read back from
// the apiserver.
package harness
