package harness

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/utils/ptr"
)

func TestSecretVolumeIsProjectedLikeTheKubeletAndFollowsAnUpdate(t *testing.T) {
	ctx := context.Background()
	secret := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "vault", Namespace: "ns"},
		Data:       map[string][]byte{"vault-token": []byte("first"), "other": []byte("x")},
	}
	client := fake.NewClientset(secret)
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "p", Namespace: "ns"},
		Spec: corev1.PodSpec{Volumes: []corev1.Volume{{
			Name: "token",
			VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{
				SecretName:  "vault",
				Items:       []corev1.KeyToPath{{Key: "vault-token", Path: "token"}},
				DefaultMode: ptr.To[int32](0o440),
			}},
		}}},
	}
	p, err := (&PodRunner{Client: client}).Prepare(ctx, pod)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Stop)
	root := p.volumes["token"]

	read := func() string {
		t.Helper()
		data, err := os.ReadFile(filepath.Join(root, "token"))
		if err != nil {
			t.Fatal(err)
		}
		return string(data)
	}
	if got := read(); got != "first" {
		t.Errorf("token file = %q; want the Secret key's value", got)
	}
	if _, err := os.Stat(filepath.Join(root, "other")); err == nil {
		t.Error("a key not in items was projected")
	}
	target, err := os.Readlink(filepath.Join(root, "token"))
	if err != nil || target != filepath.Join("..data", "token") {
		t.Errorf("token is not a symlink into ..data (%q, %v)", target, err)
	}
	st, err := os.Stat(filepath.Join(root, "token"))
	if err != nil {
		t.Fatal(err)
	}
	if perm := st.Mode().Perm(); perm != 0o440 {
		t.Errorf("token file mode %v; want defaultMode 0440", perm)
	}
	before, _ := os.Readlink(filepath.Join(root, "..data"))

	secret.Data["vault-token"] = []byte("second")
	if _, err := client.CoreV1().Secrets("ns").Update(ctx, secret,
		metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := p.ResyncSecretVolumes(ctx); err != nil {
		t.Fatal(err)
	}
	if got := read(); got != "second" {
		t.Errorf("token file after the update = %q; want the new value", got)
	}
	after, _ := os.Readlink(filepath.Join(root, "..data"))
	if after == before || !strings.HasPrefix(after, "..rvw_") {
		t.Errorf("..data = %q after the update, was %q; want a new directory", after, before)
	}
	if _, err := os.Stat(filepath.Join(root, before)); err == nil {
		t.Error("the old data directory is still there after the update")
	}
}
