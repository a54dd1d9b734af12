package inject

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
)

func TestOptionsValidate(t *testing.T) {
	tests := []struct {
		name   string
		change func(*Options)
		want   []string // substrings of the error; none means valid
	}{
		{name: "the defaults are valid", change: func(*Options) {}},
		{name: "an unset resource is valid", change: func(o *Options) {
			delete(o.Resources.Limits, corev1.ResourceCPU)
		}},
		{name: "an empty pull policy leaves the Kubernetes default", change: func(o *Options) {
			o.ImagePullPolicy = ""
		}},
		{name: "an empty image is rejected", change: func(o *Options) { o.Image = "" },
			want: []string{"is not an image reference"}},
		{name: "an image with a space is rejected as the annotation would be",
			change: func(o *Options) { o.Image = "ghcr.io/x:bad tag!" },
			want:   []string{`"ghcr.io/x:bad tag!" is not an image reference`}},
		{name: "an unknown pull policy is rejected", change: func(o *Options) {
			o.ImagePullPolicy = "Sometimes"
		}, want: []string{`"Sometimes" is not one of`}},
		{name: "a zero tmpfs size is rejected", change: func(o *Options) {
			o.SecretsVolumeSize = resource.Quantity{}
		}, want: []string{"secrets volume size"}},
		{name: "zero quantities are rejected with every offender named",
			change: func(o *Options) {
				o.Resources.Requests[corev1.ResourceCPU] = resource.MustParse("0")
				o.Resources.Limits[corev1.ResourceMemory] = resource.MustParse("0Mi")
			}, want: []string{"requests cpu: 0", "limits memory: 0", "leave it out"}},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := DefaultOptions()
			tt.change(&opts)
			err := opts.Validate()
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatalf("want valid, got %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("want an error, got none")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestDefaultOptionsAreFresh(t *testing.T) {
	a := DefaultOptions()
	a.Resources.Requests[corev1.ResourceCPU] = resource.MustParse("1")
	if b := DefaultOptions(); b.Resources.Requests.Cpu().String() != "10m" {
		t.Errorf("changing one DefaultOptions changed the next: cpu %s", b.Resources.Requests.Cpu())
	}
}
