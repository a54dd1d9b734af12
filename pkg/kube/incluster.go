package kube

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
)

// serviceAccountDir is where the kubelet mounts a pod's service-account token and
// the cluster's CA; a variable so tests can point it elsewhere.
var serviceAccountDir = "/var/run/secrets/kubernetes.io/serviceaccount"

// InCluster returns a client for the apiserver of the cluster this pod runs in,
// authenticated as the pod's service account: KUBERNETES_SERVICE_HOST and
// KUBERNETES_SERVICE_PORT locate it, and the mounted token and ca.crt authenticate.
func InCluster() (*Client, error) {
	host := os.Getenv("KUBERNETES_SERVICE_HOST")
	port := os.Getenv("KUBERNETES_SERVICE_PORT")
	if host == "" || port == "" {
		return nil, errors.New("in-cluster config: KUBERNETES_SERVICE_HOST and " +
			"KUBERNETES_SERVICE_PORT are not set, so this is not a pod; " +
			"pass --kubeconfig outside a cluster")
	}

	caPath := filepath.Join(serviceAccountDir, "ca.crt")
	ca, err := os.ReadFile(caPath)
	if err != nil {
		return nil, fmt.Errorf("in-cluster config: reading the cluster CA: %w; "+
			"mount the service-account token (automountServiceAccountToken)", err)
	}

	return newClient(config{
		source:     "in-cluster config",
		caField:    caPath,
		tokenField: "service-account token",
		server:     "https://" + net.JoinHostPort(host, port),
		caPEM:      ca,
		tokenFile:  filepath.Join(serviceAccountDir, "token"),
	})
}
