package harness

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// PodRunner plays the kubelet for Pods read back from a real apiserver: it lays out
// the Pod's volumes as local directories (a memory emptyDir under /dev/shm, ConfigMap
// and Secret volumes in kubelet's ..data symlink layout) and runs containers as local processes
// with the Pod's env, in Kubernetes' order. envtest has no kubelet; this is its stand-in.
type PodRunner struct {
	// Client reads ConfigMaps and Secrets the Pod refers to.
	Client kubernetes.Interface
	// Programs maps an image entrypoint (a container's command[0], such as /webhook) to
	// the local program that plays it.
	Programs map[string]string
	// Overrides replaces a container's whole argv by container name; paths in it are
	// mapped through the container's mounts like any argument.
	Overrides map[string][]string
}

// RunningPod is a Pod whose volumes exist locally and whose containers can be run.
type RunningPod struct {
	// Pod is the Pod as stored by the apiserver.
	Pod *corev1.Pod

	runner  *PodRunner
	dir     string
	volumes map[string]string

	mu       sync.Mutex
	sidecars []*Process
	output   strings.Builder
}

// Prepare creates the Pod's volumes locally. Call Stop to end sidecars and remove them.
func (r *PodRunner) Prepare(ctx context.Context, pod *corev1.Pod) (*RunningPod, error) {
	dir, err := os.MkdirTemp("", "rvw-pod-")
	if err != nil {
		return nil, fmt.Errorf("creating pod dir: %w", err)
	}
	// The containers may run as the Pod's unprivileged user, who must reach the volumes.
	if err := os.Chmod(dir, 0o755); err != nil {
		return nil, fmt.Errorf("opening pod dir: %w", err)
	}
	p := &RunningPod{Pod: pod, runner: r, dir: dir, volumes: map[string]string{}}
	for _, v := range pod.Spec.Volumes {
		path, err := p.prepareVolume(ctx, v)
		if err != nil {
			p.Stop()
			return nil, fmt.Errorf("preparing volume %q: %w", v.Name, err)
		}
		p.volumes[v.Name] = path
	}
	return p, nil
}

// fsGroup returns the Pod's fsGroup, or -1.
func (p *RunningPod) fsGroup() int {
	if sc := p.Pod.Spec.SecurityContext; sc != nil && sc.FSGroup != nil {
		return int(*sc.FSGroup)
	}
	return -1
}

// giveToFSGroup hands a path to the Pod's fsGroup, as the kubelet does for volumes.
func (p *RunningPod) giveToFSGroup(path string, mode os.FileMode) error {
	if g := p.fsGroup(); g >= 0 && os.Geteuid() == 0 {
		if err := os.Lchown(path, -1, g); err != nil {
			return fmt.Errorf("setting group of %s: %w", path, err)
		}
	}
	return os.Chmod(path, mode)
}

func (p *RunningPod) prepareVolume(ctx context.Context, v corev1.Volume) (string, error) {
	switch {
	case v.EmptyDir != nil:
		base := p.dir
		if v.EmptyDir.Medium == corev1.StorageMediumMemory {
			base = memoryBase()
		}
		dir, err := os.MkdirTemp(base, "rvw-emptydir-"+v.Name+"-")
		if err != nil {
			return "", err
		}
		return dir, p.giveToFSGroup(dir, 0o777|os.ModeSetgid)
	case v.ConfigMap != nil:
		cm, err := p.runner.Client.CoreV1().ConfigMaps(p.Pod.Namespace).Get(ctx,
			v.ConfigMap.Name, metav1.GetOptions{})
		if err != nil {
			return "", fmt.Errorf("reading ConfigMap: %w", err)
		}
		files, err := projectKeys(cm.Data, v.ConfigMap.Items)
		if err != nil {
			return "", err
		}
		return p.writeAtomicVolume(v.Name, files, nil, configMapFileMode)
	case v.Secret != nil:
		return p.prepareSecretVolume(ctx, v)
	default:
		return "", fmt.Errorf("the pod runner does not support this volume type")
	}
}

// memoryBase is where memory-backed emptyDirs live: /dev/shm when it is a directory.
func memoryBase() string {
	if st, err := os.Stat("/dev/shm"); err == nil && st.IsDir() {
		return "/dev/shm"
	}
	return os.TempDir()
}

// projectKeys maps ConfigMap keys to file paths as a volume's items say (all keys when
// there are no items).
func projectKeys(data map[string]string, items []corev1.KeyToPath) (map[string]string, error) {
	files := map[string]string{}
	if len(items) == 0 {
		for k, v := range data {
			files[k] = v
		}
		return files, nil
	}
	for _, it := range items {
		v, ok := data[it.Key]
		if !ok {
			return nil, fmt.Errorf("key %q not in ConfigMap", it.Key)
		}
		files[it.Path] = v
	}
	return files, nil
}

// configMapFileMode is the file mode of a ConfigMap volume's files (the API's default
// defaultMode).
const configMapFileMode os.FileMode = 0o644

// writeAtomicVolume writes files the way kubelet's atomic writer does: the data in a
// timestamped directory, a ..data symlink to it, and one symlink per top-level entry.
// A volume written before is updated as the kubelet does it: the new directory is
// swapped in by renaming a fresh symlink over ..data, then the old one is removed.
// modes, when it has a path, overrides mode for that file.
func (p *RunningPod) writeAtomicVolume(
	name string, files map[string]string, modes map[string]os.FileMode, mode os.FileMode,
) (string, error) {
	root := filepath.Join(p.dir, "volumes", name)
	stamp := "..rvw_" + time.Now().Format("2006_01_02_15_04_05.000000000")
	if err := os.MkdirAll(filepath.Join(root, stamp), 0o755); err != nil {
		return "", err
	}
	old, _ := os.Readlink(filepath.Join(root, "..data"))
	tops := map[string]bool{}
	paths := make([]string, 0, len(files))
	for path := range files {
		paths = append(paths, path)
	}
	sort.Strings(paths)
	for _, path := range paths {
		full := filepath.Join(root, stamp, path)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			return "", err
		}
		m, ok := modes[path]
		if !ok {
			m = mode
		}
		if err := os.WriteFile(full, []byte(files[path]), 0o600); err != nil {
			return "", err
		}
		if err := p.giveToFSGroup(full, m); err != nil {
			return "", err
		}
		tops[strings.SplitN(path, "/", 2)[0]] = true
	}
	tmp := filepath.Join(root, "..data_tmp")
	if err := os.Symlink(stamp, tmp); err != nil {
		return "", err
	}
	if err := os.Rename(tmp, filepath.Join(root, "..data")); err != nil {
		return "", err
	}
	for top := range tops {
		link := filepath.Join(root, top)
		if _, err := os.Lstat(link); err == nil {
			continue
		}
		if err := os.Symlink(filepath.Join("..data", top), link); err != nil {
			return "", err
		}
	}
	if old != "" {
		_ = os.RemoveAll(filepath.Join(root, old))
	}
	return root, nil
}

// HostPath maps a path as the named container sees it to the local path behind it.
func (p *RunningPod) HostPath(container, path string) (string, error) {
	c, _, err := p.container(container)
	if err != nil {
		return "", err
	}
	for _, m := range p.mounts(c) {
		if path == m.inside || strings.HasPrefix(path, m.inside+"/") {
			return m.local + strings.TrimPrefix(path, m.inside), nil
		}
	}
	return "", fmt.Errorf("container %q has no mount holding %s", container, path)
}

// Output returns everything every container printed so far, for tests that check
// that no secret ever reached a log.
func (p *RunningPod) Output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.output.String()
}

// Stop ends the sidecars and removes the Pod's local files.
func (p *RunningPod) Stop() {
	p.mu.Lock()
	sidecars := p.sidecars
	p.sidecars = nil
	p.mu.Unlock()
	for _, s := range sidecars {
		s.Stop(5 * time.Second)
	}
	for name, path := range p.volumes {
		if strings.HasPrefix(path, memoryBase()) {
			_ = os.RemoveAll(path)
		}
		delete(p.volumes, name)
	}
	_ = os.RemoveAll(p.dir)
}

// Sidecar returns the running native sidecar with this name, or nil.
func (p *RunningPod) Sidecar(name string) *Process {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, s := range p.sidecars {
		if s.Name == name {
			return s
		}
	}
	return nil
}
