package inject

import (
	"fmt"
	"slices"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"
)

// restrictedViolations checks the injected containers of pod against the container
// rules of the restricted Pod Security Standard (the baseline rules included), on their
// own fields only: they must pass whatever the pod-level securityContext says.
// k8s.io/pod-security-admission is not in the module graph, hence the explicit rules.
func restrictedViolations(pod *corev1.Pod) []string {
	var out []string
	injected := 0
	all := append(slices.Clone(pod.Spec.InitContainers), pod.Spec.Containers...)
	for _, c := range all {
		if c.Name != InitContainerName && c.Name != AgentContainerName {
			continue
		}
		injected++
		for _, v := range containerViolations(c) {
			out = append(out, fmt.Sprintf("container %q: %s", c.Name, v))
		}
	}
	if injected == 0 {
		out = append(out, "found no injected container")
	}
	return out
}

// containerViolations lists every restricted rule container c breaks by itself.
func containerViolations(c corev1.Container) []string {
	sc := c.SecurityContext
	if sc == nil {
		return []string{"no securityContext"}
	}

	var out []string
	add := func(broken bool, rule string) {
		if broken {
			out = append(out, rule)
		}
	}
	add(ptr.Deref(sc.Privileged, false), "privileged")
	add(sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation,
		"allowPrivilegeEscalation must be false")
	add(sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot, "runAsNonRoot must be true")
	add(sc.RunAsUser != nil && *sc.RunAsUser == 0, "runAsUser must not be 0")
	add(sc.SeccompProfile == nil || (sc.SeccompProfile.Type !=
		corev1.SeccompProfileTypeRuntimeDefault &&
		sc.SeccompProfile.Type != corev1.SeccompProfileTypeLocalhost),
		"seccompProfile must be RuntimeDefault or Localhost")
	add(sc.ProcMount != nil && *sc.ProcMount != corev1.DefaultProcMount,
		"procMount must be Default")
	add(sc.WindowsOptions != nil && ptr.Deref(sc.WindowsOptions.HostProcess, false),
		"hostProcess")
	add(sc.SELinuxOptions != nil && (sc.SELinuxOptions.User != "" ||
		sc.SELinuxOptions.Role != ""), "seLinuxOptions user and role must be unset")

	dropsAll := false
	if caps := sc.Capabilities; caps != nil {
		for _, d := range caps.Drop {
			dropsAll = dropsAll || d == "ALL"
		}
		for _, a := range caps.Add {
			add(a != "NET_BIND_SERVICE", "capability "+string(a)+" added")
		}
	}
	add(!dropsAll, "capabilities must drop ALL")

	for _, p := range c.Ports {
		add(p.HostPort != 0, "hostPort set")
	}
	return out
}

// TestInjectedContainersStayRestrictedInAHostilePod makes sure nothing the pod or the
// assistant sets loosens the injected containers.
func TestInjectedContainersStayRestrictedInAHostilePod(t *testing.T) {
	assistant := &corev1.Container{
		Name: "rasa",
		SecurityContext: &corev1.SecurityContext{
			Privileged:               ptr.To(true),
			AllowPrivilegeEscalation: ptr.To(true),
			RunAsUser:                ptr.To(int64(0)),
			RunAsGroup:               ptr.To(int64(0)),
			Capabilities:             &corev1.Capabilities{Add: []corev1.Capability{"SYS_ADMIN"}},
			SeccompProfile:           &corev1.SeccompProfile{Type: "Unconfined"},
		},
	}
	target := Target{VolumeName: "cfg", EndpointsPath: "endpoints.yml", Layout: LayoutSubPath}
	pod := &corev1.Pod{Spec: corev1.PodSpec{
		InitContainers: agentContainers(target, assistant, nil, defaultSettings(t),
			DefaultOptions()),
	}}

	for _, v := range restrictedViolations(pod) {
		t.Error(v)
	}
	for _, c := range pod.Spec.InitContainers {
		if c.SecurityContext.RunAsUser != nil {
			t.Errorf("container %q copied the assistant's root user", c.Name)
		}
		if got := ptr.Deref(c.SecurityContext.RunAsGroup, -1); got != 0 {
			t.Errorf("container %q runAsGroup = %d, want the assistant's 0", c.Name, got)
		}
	}
}

// TestRestrictedViolationsCatchesALooseContainer keeps the checker itself honest.
func TestRestrictedViolationsCatchesALooseContainer(t *testing.T) {
	loose := corev1.Container{SecurityContext: &corev1.SecurityContext{
		Capabilities: &corev1.Capabilities{Add: []corev1.Capability{"NET_ADMIN"}},
	}}
	got := containerViolations(loose)
	if len(got) != 5 {
		t.Errorf("got %d violations, want 5 (escalation, non-root, seccomp, add, drop): %q",
			len(got), got)
	}
}
