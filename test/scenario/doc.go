// Package scenario is the main job of rasa-vault-webhook acted out on real servers:
// it starts kube-apiserver + etcd, Vault and PostgreSQL through the harness, runs the
// real webhook binary, deploys a Rasa-shaped assistant and plays the kubelet for it.
// The end-to-end tests assert on it; `make demo` narrates it.
package scenario
