package inject

import (
	"path/filepath"
	"slices"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/resource"
)

// chartInput reads the Rasa-chart case that most unit tests start from.
func chartInput(t testing.TB) (*corev1.Pod, *corev1.ConfigMap, Target) {
	t.Helper()
	pod, cm := readInput(t, filepath.Join("testdata", "rasa-chart-subpath", "input.yaml"))
	target, err := Locate(pod)
	if err != nil {
		t.Fatal(err)
	}
	return pod, cm, target
}

// TestMutateTellsMisuseFromDenial: a target or ConfigMap that does not belong to the pod
// is the caller's error, never a denial the user would be asked to fix.
func TestMutateTellsMisuseFromDenial(t *testing.T) {
	tests := []struct {
		name   string
		change func(*corev1.Pod, *corev1.ConfigMap, *Target, *Options)
	}{
		{name: "a container index out of range", change: func(_ *corev1.Pod,
			_ *corev1.ConfigMap, tg *Target, _ *Options) {
			tg.ContainerIndex = 3
		}},
		{name: "a container name that does not match", change: func(_ *corev1.Pod,
			_ *corev1.ConfigMap, tg *Target, _ *Options) {
			tg.ContainerName = "other"
		}},
		{name: "a mount of another volume", change: func(_ *corev1.Pod,
			_ *corev1.ConfigMap, tg *Target, _ *Options) {
			tg.MountIndex = 2
		}},
		{name: "another ConfigMap", change: func(_ *corev1.Pod, cm *corev1.ConfigMap,
			_ *Target, _ *Options) {
			cm.Name = "someone-else"
		}},
		{name: "an already injected pod", change: func(p *corev1.Pod, _ *corev1.ConfigMap,
			_ *Target, _ *Options) {
			p.Annotations[AnnotationStatus] = StatusInjected
		}},
		{name: "invalid options", change: func(_ *corev1.Pod, _ *corev1.ConfigMap,
			_ *Target, o *Options) {
			o.Image = ""
		}},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pod, cm, target := chartInput(t)
			opts := DefaultOptions()
			tt.change(pod, cm, &target, &opts)

			_, _, err := Mutate(pod, cm, target, opts)
			if err == nil {
				t.Fatal("want an error, got none")
			}
			if _, denial := IsDenial(err); denial {
				t.Errorf("want an internal error, got a denial: %v", err)
			}
		})
	}
}

// TestMutateMovesEnvAsWritten checks the moved entries are the same objects, in order,
// and the assistant keeps everything else.
func TestMutateMovesEnvAsWritten(t *testing.T) {
	pod, cm, target := chartInput(t)
	original := pod.Spec.Containers[0].Env

	out, _, err := Mutate(pod, cm, target, DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}

	var moved, kept []corev1.EnvVar
	for _, e := range original {
		if isVaultEnv(e.Name) {
			moved = append(moved, e)
		} else {
			kept = append(kept, e)
		}
	}
	if len(moved) != 3 {
		t.Fatalf("the sample should carry 3 secrets manager variables, has %d", len(moved))
	}
	for _, c := range out.Spec.InitContainers[:2] {
		if !slices.EqualFunc(c.Env, moved, envEqual) {
			t.Errorf("container %q env = %v, want %v", c.Name, c.Env, moved)
		}
	}
	if got := out.Spec.Containers[0].Env; !slices.EqualFunc(got, kept, envEqual) {
		t.Errorf("assistant env = %v, want %v", got, kept)
	}
}

// envEqual compares two env entries field by field, valueFrom included.
func envEqual(a, b corev1.EnvVar) bool {
	return a.Name == b.Name && a.Value == b.Value &&
		(a.ValueFrom == nil) == (b.ValueFrom == nil) &&
		(a.ValueFrom == nil || a.ValueFrom.String() == b.ValueFrom.String())
}

// FuzzMutate gives the Rasa-chart pod arbitrary endpoints.yml text: Mutate must
// return a pod or a *Denial, never panic and never an internal error.
func FuzzMutate(f *testing.F) {
	pod, cm, target := chartInput(f)
	for _, seed := range []string{cm.Data["endpoints"], "", "{", "- a\n- b\n",
		"secrets_manager: [1]\ntracker_store:\n  password: &a\n    source: x\n  u: *a\n",
		"tracker_store:\n  password:\n    source: secrets_manager.vault\n    secret_key: ${X}\n"} {
		f.Add(seed)
	}
	opts := DefaultOptions()

	f.Fuzz(func(t *testing.T, endpoints string) {
		cm := cm.DeepCopy()
		cm.Data["endpoints"] = endpoints

		out, _, err := Mutate(pod, cm, target, opts)
		if err != nil {
			if _, ok := IsDenial(err); !ok {
				t.Fatalf("internal error for user input: %v", err)
			}
			return
		}
		if out.Annotations[AnnotationStatus] != StatusInjected {
			t.Fatal("an injected pod without the status annotation")
		}
	})
}

// TestMutateTwiceFromOnePodSharesNoWrites: the copy shares what it leaves alone with the
// pod, so each slice Mutate changes must be its own even when the pod's slices have
// spare capacity an append would write into. The handler mutates one pod twice when a
// cached ConfigMap's denial is checked again.
func TestMutateTwiceFromOnePodSharesNoWrites(t *testing.T) {
	pod, cm, target := chartInput(t)
	spec := &pod.Spec
	spec.Volumes = slices.Grow(spec.Volumes, 8)
	spec.Containers = slices.Grow(spec.Containers, 8)
	spec.InitContainers = slices.Grow(spec.InitContainers, 8)
	for i := range spec.Containers {
		spec.Containers[i].Env = slices.Grow(spec.Containers[i].Env, 8)
		spec.Containers[i].VolumeMounts = slices.Grow(spec.Containers[i].VolumeMounts, 8)
	}
	before := pod.DeepCopy()

	opts := DefaultOptions()
	opts.SidecarAsContainer = true // appends to containers too
	first, _, err := Mutate(pod, cm, target, opts)
	if err != nil {
		t.Fatal(err)
	}
	want := first.DeepCopy()
	// Other options, so that a second write into a shared array would show.
	other := opts
	other.Image = "elsewhere.example/rasa-vault-webhook:other"
	other.SecretsVolumeSize = resource.MustParse("3Mi")
	second, _, err := Mutate(pod, cm, target, other)
	if err != nil {
		t.Fatal(err)
	}

	if !equality.Semantic.DeepEqual(before, pod) {
		t.Error("the input pod was modified")
	}
	if !equality.Semantic.DeepEqual(want, first) {
		t.Error("the second Mutate changed the first one's result")
	}
	if equality.Semantic.DeepEqual(first, second) {
		t.Error("Mutates with other options gave the same pod")
	}
	if len(first.Spec.Containers) <= len(pod.Spec.Containers) {
		t.Fatalf("no container appended: %d, pod had %d", len(first.Spec.Containers),
			len(pod.Spec.Containers))
	}
}
