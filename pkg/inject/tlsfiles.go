package inject

import (
	"fmt"
	"path"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// tlsFileEnv are the Vault client variables that name files. They move to the injected
// containers with the rest of VAULT_*, but the files live in the assistant's
// filesystem: the agent's image (a different one) sees them only through a volume.
var tlsFileEnv = []string{
	"VAULT_CACERT", "VAULT_CAPATH", "VAULT_CLIENT_CERT", "VAULT_CLIENT_KEY",
}

// tlsFiles works out which of the assistant's volume mounts the injected containers
// need so that the moved TLS variables point at real files. A literal path that no
// mount holds is a problem: the agent would fail at start with "no such file". A path
// from valueFrom cannot be seen at admission and only earns a warning.
func tlsFiles(assistant *corev1.Container, moved []corev1.EnvVar, target Target) (
	mounts []corev1.VolumeMount, problems, warnings []string,
) {
	for _, e := range moved {
		if !slices.Contains(tlsFileEnv, e.Name) {
			continue
		}
		if e.ValueFrom != nil {
			warnings = append(warnings, fmt.Sprintf("container %q: %s comes from valueFrom, "+
				"so the webhook cannot check that the injected containers can read that "+
				"file: keep it on a volume the assistant mounts and give it as a literal path",
				clip(assistant.Name), e.Name))
			continue
		}
		m, ok := mountHolding(assistant, e.Value, target)
		if !ok {
			problems = append(problems, fmt.Sprintf("container %q: %s=%s is on no volume "+
				"mount of the container, so the injected containers (another image) cannot "+
				"read it: mount that file from a ConfigMap or Secret volume", clip(assistant.Name),
				e.Name, e.Value))
			continue
		}
		if reservedPath(m.MountPath) {
			problems = append(problems, fmt.Sprintf("container %q: %s lives under mount %s, "+
				"which clashes with the paths the injected containers use (%s, %s, %s): "+
				"mount it elsewhere", clip(assistant.Name), e.Name, m.MountPath, SourceDir,
				OutputDir, TokenDir))
			continue
		}
		if !slices.ContainsFunc(mounts, func(x corev1.VolumeMount) bool {
			return x.MountPath == m.MountPath
		}) {
			m.ReadOnly = true
			mounts = append(mounts, m)
		}
	}
	return mounts, problems, warnings
}

// mountHolding finds the assistant's most specific mount that holds file, leaving out
// the endpoints.yml mount the webhook redirects.
func mountHolding(c *corev1.Container, file string, target Target) (corev1.VolumeMount, bool) {
	file = path.Clean(file)
	best, found := corev1.VolumeMount{}, false
	for i, m := range c.VolumeMounts {
		if i == target.MountIndex {
			continue
		}
		dir := path.Clean(m.MountPath)
		if file != dir && !strings.HasPrefix(file, strings.TrimSuffix(dir, "/")+"/") {
			continue
		}
		if !found || len(dir) > len(path.Clean(best.MountPath)) {
			best, found = *m.DeepCopy(), true
		}
	}
	return best, found
}

// reservedPath reports whether a mount path would overlap the injected containers' own.
func reservedPath(p string) bool {
	p = path.Clean(p)
	for _, r := range []string{SourceDir, OutputDir, TokenDir} {
		if p == r || strings.HasPrefix(p, r+"/") || strings.HasPrefix(r, p+"/") {
			return true
		}
	}
	return false
}
