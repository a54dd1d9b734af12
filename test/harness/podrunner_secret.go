package harness

import (
	"context"
	"fmt"
	"os"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// secretFileMode is the API's default defaultMode of a Secret volume.
const secretFileMode os.FileMode = 0o644

// prepareSecretVolume reads the Secret from the apiserver and writes its keys, or the
// items' keys to their paths, with the volume's modes, as the kubelet does.
func (p *RunningPod) prepareSecretVolume(ctx context.Context, v corev1.Volume) (string, error) {
	src := v.Secret
	s, err := p.runner.Client.CoreV1().Secrets(p.Pod.Namespace).Get(ctx, src.SecretName,
		metav1.GetOptions{})
	if err != nil {
		return "", fmt.Errorf("reading Secret: %w", err)
	}
	data := make(map[string]string, len(s.Data))
	for k, val := range s.Data {
		data[k] = string(val)
	}
	files, err := projectKeys(data, src.Items)
	if err != nil {
		return "", err
	}

	mode := secretFileMode
	if src.DefaultMode != nil {
		mode = os.FileMode(*src.DefaultMode)
	}
	modes := map[string]os.FileMode{}
	for _, it := range src.Items {
		if it.Mode != nil {
			modes[it.Path] = p.readOnlyVolumeMode(os.FileMode(*it.Mode))
		}
	}
	return p.writeAtomicVolume(v.Name, files, modes, p.readOnlyVolumeMode(mode))
}

// readOnlyVolumeMode adds group read when the Pod has an fsGroup, as the kubelet's
// volume ownership step does for a read-only volume such as a Secret.
func (p *RunningPod) readOnlyVolumeMode(mode os.FileMode) os.FileMode {
	if p.fsGroup() >= 0 {
		return mode | 0o440
	}
	return mode
}

// ResyncSecretVolumes re-reads every Secret volume's Secret and swaps the new content
// in, as the kubelet's periodic sync does after a Secret changed. Running containers
// see the new files behind the same paths.
func (p *RunningPod) ResyncSecretVolumes(ctx context.Context) error {
	for _, v := range p.Pod.Spec.Volumes {
		if v.Secret == nil {
			continue
		}
		if _, err := p.prepareSecretVolume(ctx, v); err != nil {
			return fmt.Errorf("updating volume %q: %w", v.Name, err)
		}
	}
	return nil
}
