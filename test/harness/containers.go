package harness

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// mount is one path a container sees and the local path behind it.
type mount struct{ inside, local string }

// Result is how a container that ran to completion ended.
type Result struct {
	Container string
	ExitCode  int
	// Output is what the container printed (stdout and stderr interleaved).
	Output string
	// TerminationMessage is what it wrote to its terminationMessagePath.
	TerminationMessage string
	Duration           time.Duration
}

// container finds a container or init container by name.
func (p *RunningPod) container(name string) (*corev1.Container, bool, error) {
	for i := range p.Pod.Spec.InitContainers {
		if p.Pod.Spec.InitContainers[i].Name == name {
			return &p.Pod.Spec.InitContainers[i], true, nil
		}
	}
	for i := range p.Pod.Spec.Containers {
		if p.Pod.Spec.Containers[i].Name == name {
			return &p.Pod.Spec.Containers[i], false, nil
		}
	}
	return nil, false, fmt.Errorf("pod has no container %q", name)
}

// mounts lists a container's mounts, longest path first, its termination message file
// included, so that path mapping picks the most specific mount.
func (p *RunningPod) mounts(c *corev1.Container) []mount {
	var out []mount
	for _, m := range c.VolumeMounts {
		local := p.volumes[m.Name]
		if m.SubPath != "" {
			local = filepath.Join(local, m.SubPath)
		}
		out = append(out, mount{inside: m.MountPath, local: local})
	}
	out = append(out, mount{inside: terminationPath(c), local: p.terminationFile(c.Name)})
	sort.Slice(out, func(i, j int) bool { return len(out[i].inside) > len(out[j].inside) })
	return out
}

func terminationPath(c *corev1.Container) string {
	if c.TerminationMessagePath != "" {
		return c.TerminationMessagePath
	}
	return corev1.TerminationMessagePathDefault
}

func (p *RunningPod) terminationFile(container string) string {
	return filepath.Join(p.dir, "termination", container)
}

// mapArg rewrites container paths inside one argument (as a whole, or after "=") to
// the local paths behind the container's mounts.
func mapArg(arg string, mounts []mount) string {
	prefix, value := "", arg
	if i := strings.Index(arg, "="); i >= 0 && strings.HasPrefix(arg, "-") {
		prefix, value = arg[:i+1], arg[i+1:]
	}
	for _, m := range mounts {
		if value == m.inside || strings.HasPrefix(value, m.inside+"/") {
			return prefix + m.local + strings.TrimPrefix(value, m.inside)
		}
	}
	return arg
}

// argv builds the local command line for a container.
func (p *RunningPod) argv(c *corev1.Container, env map[string]string) ([]string, error) {
	words := append(append([]string{}, c.Command...), c.Args...)
	if o, ok := p.runner.Overrides[c.Name]; ok {
		words = append([]string{}, o...)
	}
	if len(words) == 0 {
		return nil, fmt.Errorf("container %q has no command; the pod runner cannot run "+
			"an image's default entrypoint", c.Name)
	}
	if _, overridden := p.runner.Overrides[c.Name]; !overridden {
		prog, ok := p.runner.Programs[words[0]]
		if !ok {
			return nil, fmt.Errorf("container %q: no local program for %s", c.Name, words[0])
		}
		words[0] = prog
	}
	mounts := p.mounts(c)
	for i := 1; i < len(words); i++ {
		words[i] = mapArg(expandDollarParens(words[i], env), mounts)
	}
	return words, nil
}

// credential is the user a container runs as when the runner is root: the container's
// runAsUser/runAsGroup over the Pod's, with the Pod's fsGroup as a supplementary group.
func (p *RunningPod) credential(c *corev1.Container) *syscall.Credential {
	if os.Geteuid() != 0 {
		return nil
	}
	var uid, gid *int64
	if sc := p.Pod.Spec.SecurityContext; sc != nil {
		uid, gid = sc.RunAsUser, sc.RunAsGroup
	}
	if sc := c.SecurityContext; sc != nil {
		if sc.RunAsUser != nil {
			uid = sc.RunAsUser
		}
		if sc.RunAsGroup != nil {
			gid = sc.RunAsGroup
		}
	}
	if uid == nil {
		return nil
	}
	cred := &syscall.Credential{Uid: uint32(*uid)}
	if gid != nil {
		cred.Gid = uint32(*gid)
	}
	if g := p.fsGroup(); g >= 0 {
		cred.Groups = []uint32{uint32(g)}
	}
	return cred
}

// command prepares a container's process.
func (p *RunningPod) command(ctx context.Context, name string) (*exec.Cmd, *lockedBuffer, error) {
	c, _, err := p.container(name)
	if err != nil {
		return nil, nil, err
	}
	env, err := p.env(ctx, c)
	if err != nil {
		return nil, nil, fmt.Errorf("container %q env: %w", name, err)
	}
	argv, err := p.argv(c, env)
	if err != nil {
		return nil, nil, err
	}
	if err := os.MkdirAll(filepath.Dir(p.terminationFile(name)), 0o777); err != nil {
		return nil, nil, err
	}
	_ = os.Chmod(filepath.Dir(p.terminationFile(name)), 0o777)
	work := filepath.Join(p.dir, "work", name)
	if err := os.MkdirAll(work, 0o777); err != nil {
		return nil, nil, err
	}
	_ = os.Chmod(work, 0o777)
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Dir = work
	cmd.Env = envList(env)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: p.credential(c), Setpgid: true}
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = 5 * time.Second
	out := &lockedBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	return cmd, out, nil
}

// Run runs a container to completion (bounded by timeout) and reports how it ended.
func (p *RunningPod) Run(ctx context.Context, name string, timeout time.Duration) (Result, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd, out, err := p.command(ctx, name)
	if err != nil {
		return Result{}, err
	}
	start := time.Now()
	runErr := cmd.Run()
	res := Result{Container: name, Output: out.String(), Duration: time.Since(start)}
	p.record(name, res.Output)
	msg, _ := os.ReadFile(p.terminationFile(name))
	res.TerminationMessage = string(msg)
	var exitErr *exec.ExitError
	switch {
	case runErr == nil:
	case errors.As(runErr, &exitErr):
		res.ExitCode = exitErr.ExitCode()
	default:
		return res, fmt.Errorf("running container %q: %w", name, runErr)
	}
	if ctx.Err() != nil {
		return res, fmt.Errorf("container %q did not finish within %s", name, timeout)
	}
	return res, nil
}

// RunInitContainers runs the init containers in order, as the kubelet does: a regular
// one must exit 0 before the next starts; a native sidecar (restartPolicy Always) is
// started and kept running. It stops at the first failure and returns what ran.
func (p *RunningPod) RunInitContainers(ctx context.Context, timeout time.Duration) (
	[]Result, error,
) {
	var results []Result
	for _, c := range p.Pod.Spec.InitContainers {
		if c.RestartPolicy != nil && *c.RestartPolicy == corev1.ContainerRestartPolicyAlways {
			if _, err := p.Start(ctx, c.Name); err != nil {
				return results, err
			}
			continue
		}
		res, err := p.Run(ctx, c.Name, timeout)
		results = append(results, res)
		if err != nil {
			return results, err
		}
		if res.ExitCode != 0 {
			return results, fmt.Errorf("init container %q exited %d", c.Name, res.ExitCode)
		}
	}
	return results, nil
}

// Start starts a long-running container (a native sidecar) and keeps it until Stop.
func (p *RunningPod) Start(ctx context.Context, name string) (*Process, error) {
	cmd, out, err := p.command(context.WithoutCancel(ctx), name)
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting container %q: %w", name, err)
	}
	proc := &Process{Name: name, cmd: cmd, out: out, done: make(chan struct{})}
	go func() {
		proc.err = cmd.Wait()
		p.record(name, out.String())
		close(proc.done)
	}()
	p.mu.Lock()
	p.sidecars = append(p.sidecars, proc)
	p.mu.Unlock()
	return proc, nil
}

func (p *RunningPod) record(name, output string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintf(&p.output, "--- %s\n%s", name, output)
}

// Process is a running container.
type Process struct {
	// Name is the container's name.
	Name string
	cmd  *exec.Cmd
	out  *lockedBuffer
	done chan struct{}
	err  error
}

// Output returns what the process printed so far.
func (pr *Process) Output() string { return pr.out.String() }

// Exited reports whether the process has ended.
func (pr *Process) Exited() bool {
	select {
	case <-pr.done:
		return true
	default:
		return false
	}
}

// Stop sends SIGTERM, waits up to grace, then kills. It returns how long the exit took.
func (pr *Process) Stop(grace time.Duration) time.Duration {
	start := time.Now()
	if pr.Exited() {
		return 0
	}
	_ = pr.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-pr.done:
	case <-time.After(grace):
		_ = pr.cmd.Process.Kill()
		<-pr.done
	}
	return time.Since(start)
}

// lockedBuffer is an output sink safe for a process and a reader at once.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

var _ io.Writer = (*lockedBuffer)(nil)
