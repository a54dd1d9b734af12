package inject

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	corev1 "k8s.io/api/core/v1"
)

// readabilityWarning explains when the resolved file (mode 0440) may be unreadable by
// the assistant: with no fsGroup and no runAsUser anywhere, each container runs as its
// image's user, and the agent's is not the assistant's.
func readabilityWarning(pod *corev1.Pod, assistant *corev1.Container) []string {
	if sc := pod.Spec.SecurityContext; sc != nil && (sc.FSGroup != nil || sc.RunAsUser != nil) {
		return nil
	}
	if sc := assistant.SecurityContext; sc != nil && sc.RunAsUser != nil {
		return nil
	}
	return []string{fmt.Sprintf("the pod sets neither spec.securityContext.fsGroup nor a "+
		"runAsUser, so the agent (its image's user) writes endpoints.yml with mode 0440 "+
		"that container %q may not be able to read: set spec.securityContext.fsGroup",
		clip(assistant.Name))}
}

// ownInitWarning names the pod's own init containers that mount the ConfigMap volume
// holding endpoints.yml: they run before the assistant but still see the unresolved
// file, with its references and no credentials.
func ownInitWarning(pod *corev1.Pod, target Target) []string {
	var names []string
	for _, c := range pod.Spec.InitContainers {
		for _, m := range c.VolumeMounts {
			if m.Name == target.VolumeName {
				names = append(names, c.Name)
				break
			}
		}
	}
	if len(names) == 0 {
		return nil
	}
	subject, verb := "init container", "mounts"
	if len(names) > 1 {
		subject, verb = "init containers", "mount"
	}
	sees := map[bool]string{true: "see", false: "sees"}[len(names) > 1]
	return []string{fmt.Sprintf("%s %s %s volume %q and so %s endpoints.yml unresolved "+
		"(references, no credentials): only container %q gets the resolved file", subject,
		quoteList(names), verb, clip(target.VolumeName), sees, clip(target.ContainerName))}
}

// maxQuotedNames is how many names a warning lists before it counts the rest.
const maxQuotedNames = 3

// maxNameLen is the longest name a warning quotes whole: the apiserver refuses longer
// container and volume names, but only after admission, so a review can carry any.
const maxNameLen = 63

// clip returns name cut to maxNameLen bytes (on a character boundary), marked with "…".
func clip(name string) string {
	if len(name) <= maxNameLen {
		return name
	}
	cut := maxNameLen
	for cut > 0 && !utf8.RuneStart(name[cut]) {
		cut--
	}
	return name[:cut] + "…"
}

// quoteList quotes up to maxQuotedNames of names, clipped, and counts the others.
func quoteList(names []string) string {
	quoted := make([]string, 0, maxQuotedNames)
	for _, n := range names[:min(len(names), maxQuotedNames)] {
		quoted = append(quoted, strconv.Quote(clip(n)))
	}
	list := strings.Join(quoted, ", ")
	if more := len(names) - len(quoted); more > 0 {
		list += fmt.Sprintf(" and %d more", more)
	}
	return list
}
