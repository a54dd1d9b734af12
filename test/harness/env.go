package harness

import (
	"context"
	"fmt"
	"os"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// env builds a container's environment the way the kubelet does: a clean base (no
// variable of the test process leaks in), then envFrom, then env in order with
// $(VAR) references expanded and valueFrom read from the apiserver.
func (p *RunningPod) env(ctx context.Context, c *corev1.Container) (map[string]string, error) {
	env := map[string]string{"PATH": os.Getenv("PATH"), "HOME": "/nonexistent"}
	for _, from := range c.EnvFrom {
		data, err := p.envFromSource(ctx, from)
		if err != nil {
			return nil, err
		}
		for k, v := range data {
			env[from.Prefix+k] = v
		}
	}
	for _, e := range c.Env {
		if e.ValueFrom == nil {
			env[e.Name] = expandDollarParens(e.Value, env)
			continue
		}
		v, ok, err := p.envValueFrom(ctx, e.ValueFrom)
		if err != nil {
			return nil, fmt.Errorf("variable %s: %w", e.Name, err)
		}
		if ok {
			env[e.Name] = v
		}
	}
	return env, nil
}

func (p *RunningPod) envFromSource(ctx context.Context, from corev1.EnvFromSource) (
	map[string]string, error) {
	core := p.runner.Client.CoreV1()
	switch {
	case from.ConfigMapRef != nil:
		cm, err := core.ConfigMaps(p.Pod.Namespace).Get(ctx, from.ConfigMapRef.Name,
			metav1.GetOptions{})
		if err != nil {
			return nil, fmt.Errorf("envFrom ConfigMap %q: %w", from.ConfigMapRef.Name, err)
		}
		return cm.Data, nil
	case from.SecretRef != nil:
		s, err := core.Secrets(p.Pod.Namespace).Get(ctx, from.SecretRef.Name, metav1.GetOptions{})
		if err != nil {
			return nil, fmt.Errorf("envFrom Secret %q: %w", from.SecretRef.Name, err)
		}
		out := map[string]string{}
		for k, v := range s.Data {
			out[k] = string(v)
		}
		return out, nil
	}
	return nil, nil
}

func (p *RunningPod) envValueFrom(ctx context.Context, src *corev1.EnvVarSource) (
	string, bool, error) {
	core := p.runner.Client.CoreV1()
	switch {
	case src.SecretKeyRef != nil:
		ref := src.SecretKeyRef
		s, err := core.Secrets(p.Pod.Namespace).Get(ctx, ref.Name, metav1.GetOptions{})
		if err != nil {
			return "", false, fmt.Errorf("Secret %q: %w", ref.Name, err)
		}
		v, ok := s.Data[ref.Key]
		if !ok && (ref.Optional == nil || !*ref.Optional) {
			return "", false, fmt.Errorf("Secret %q has no key %q", ref.Name, ref.Key)
		}
		return string(v), ok, nil
	case src.ConfigMapKeyRef != nil:
		ref := src.ConfigMapKeyRef
		cm, err := core.ConfigMaps(p.Pod.Namespace).Get(ctx, ref.Name, metav1.GetOptions{})
		if err != nil {
			return "", false, fmt.Errorf("ConfigMap %q: %w", ref.Name, err)
		}
		v, ok := cm.Data[ref.Key]
		if !ok && (ref.Optional == nil || !*ref.Optional) {
			return "", false, fmt.Errorf("ConfigMap %q has no key %q", ref.Name, ref.Key)
		}
		return v, ok, nil
	case src.FieldRef != nil:
		switch src.FieldRef.FieldPath {
		case "metadata.name":
			return p.Pod.Name, true, nil
		case "metadata.namespace":
			return p.Pod.Namespace, true, nil
		case "spec.serviceAccountName":
			return p.Pod.Spec.ServiceAccountName, true, nil
		case "status.podIP", "status.hostIP":
			return "127.0.0.1", true, nil
		}
		return "", false, fmt.Errorf("fieldRef %s not supported by the pod runner",
			src.FieldRef.FieldPath)
	}
	return "", false, fmt.Errorf("valueFrom source not supported by the pod runner")
}

// expandDollarParens expands $(VAR) from env as the kubelet does; $$ escapes, and an
// unknown reference stays as written.
func expandDollarParens(s string, env map[string]string) string {
	if !strings.Contains(s, "$") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '$' || i+1 >= len(s) {
			b.WriteByte(s[i])
			continue
		}
		switch s[i+1] {
		case '$':
			b.WriteByte('$')
			i++
		case '(':
			end := strings.IndexByte(s[i:], ')')
			if end < 0 {
				b.WriteString(s[i:])
				return b.String()
			}
			name := s[i+2 : i+end]
			if v, ok := env[name]; ok {
				b.WriteString(v)
			} else {
				b.WriteString(s[i : i+end+1])
			}
			i += end
		default:
			b.WriteByte('$')
		}
	}
	return b.String()
}

func envList(env map[string]string) []string {
	out := make([]string, 0, len(env))
	for k, v := range env {
		out = append(out, k+"="+v)
	}
	sort.Strings(out)
	return out
}
