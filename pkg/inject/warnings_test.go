package inject

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
)

// TestOwnInitWarningIsBoundedWhateverThePod: names are validated only after admission,
// so a review can carry many init containers with huge names. The warning about them
// stays one line of bounded length, and a "%" in a name is text, not a verb.
func TestOwnInitWarningIsBoundedWhateverThePod(t *testing.T) {
	target := Target{VolumeName: strings.Repeat("v", 4096),
		ContainerName: strings.Repeat("c", 65536)}
	pod := &corev1.Pod{}
	for i := range 512 {
		name := strings.Repeat("i", 4096)
		if i == 0 {
			name = "migrate-100%d"
		}
		pod.Spec.InitContainers = append(pod.Spec.InitContainers, corev1.Container{
			Name: name, VolumeMounts: []corev1.VolumeMount{{Name: target.VolumeName}}})
	}

	got := ownInitWarning(pod, target)
	if len(got) != 1 || len(got[0]) > 1024 {
		t.Fatalf("want one warning under 1 KiB, got %d warnings, the first %d bytes",
			len(got), len(got[0]))
	}
	for _, want := range []string{`init containers "migrate-100%d", "iii`, "and 509 more",
		" mount volume ", "and so see endpoints.yml", "…"} {
		if !strings.Contains(got[0], want) {
			t.Errorf("the warning lacks %q: %s", want, got[0])
		}
	}
	if strings.Contains(got[0], "%!") {
		t.Errorf("a name was read as a format: %s", got[0])
	}
}
