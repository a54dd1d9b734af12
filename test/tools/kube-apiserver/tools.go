//go:build tools

// Package tools pins the kube-apiserver command for the test harness build.
package tools

import _ "k8s.io/kubernetes/cmd/kube-apiserver"
