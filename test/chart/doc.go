// Package chart tests the Helm chart in charts/rasa-vault-webhook: helm lint, every
// certificate mode rendered and checked object by object, and helm install into a real
// kube-apiserver (envtest) where the objects must be accepted and behave.
package chart
