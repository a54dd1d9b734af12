package main

import (
	"fmt"
	"os"
	"strconv"
)

// vaultK8sPath is where `vault-k8s agent-inject` answers reviews.
const vaultK8sPath = "/mutate"

// inClusterShell gives vault-k8s the in-cluster service-account files it insists on
// without touching the machine: in a private mount namespace it mounts an empty tmpfs
// over /run (/var/run links there), writes a placeholder token, and execs the injector,
// whose pid stays the one this program started. The placeholder is never accepted by
// anything: the apiserver address points at a closed port.
const inClusterShell = `set -e
mount -t tmpfs -o size=1m,mode=0755 rvw-bench /run
sa=/run/secrets/kubernetes.io/serviceaccount
mkdir -p "$sa"
printf 'placeholder-not-a-token' > "$sa/token"
exec "$@"`

// startVaultK8s runs the injector with the shared serving certificate. Its client
// points at a closed loopback port: the injector's review path never calls the
// apiserver (its webhook-CA watcher retries in the background and gets nowhere).
func startVaultK8s(dir, bin string, cert *servingCert) (*process, string, error) {
	port, closed, err := twoPorts()
	if err != nil {
		return nil, "", err
	}
	env := []string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + dir,
		"KUBERNETES_SERVICE_HOST=127.0.0.1", "KUBERNETES_SERVICE_PORT=" + strconv.Itoa(closed),
		"NAMESPACE=vault",
	}
	argv := []string{"unshare", "--mount", "--propagation", "private"}
	if os.Geteuid() != 0 {
		// Without root, a user namespace grants the right to mount.
		argv = append(argv, "--user", "--map-root-user")
	}
	argv = append(argv, "sh", "-c", inClusterShell, "sh", bin, "agent-inject",
		"-listen=127.0.0.1:"+strconv.Itoa(port),
		"-tls-cert-file="+cert.CertFile, "-tls-key-file="+cert.KeyFile,
		"-vault-address=http://vault.vault.svc:8200",
		"-log-level=info")
	proc, err := startProcess(dir, "vault-k8s", env, argv...)
	if err != nil {
		return nil, "", err
	}
	return proc, fmt.Sprintf("https://127.0.0.1:%d%s", port, vaultK8sPath), nil
}
