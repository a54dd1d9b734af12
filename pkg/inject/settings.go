package inject

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
	"unicode"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation"
)

// Auth methods the agent knows, the values of AnnotationAuthMethod.
const (
	// AuthToken: the agent uses VAULT_TOKEN (from the env or AnnotationTokenSecret).
	AuthToken = "token"
	// AuthKubernetes: the agent logs in with a projected service-account token.
	AuthKubernetes = "kubernetes"
)

// Defaults of the settings annotations that are not a flag default of the agent.
const (
	// DefaultTokenSecretKey is the key read when AnnotationTokenSecret names no key.
	DefaultTokenSecretKey = "token"
	// MinRefreshInterval keeps a typo like "1ms" from hammering Vault.
	MinRefreshInterval = time.Second
)

// Settings are the per-pod choices read from the annotations, on top of Options.
type Settings struct {
	// AuthMethod is AuthToken, AuthKubernetes, or empty for the agent's default.
	AuthMethod string
	// AuthRole is the Vault role of the Kubernetes login.
	AuthRole string
	// AuthPath is the mount path of the Vault auth method; empty for the agent's default.
	AuthPath string
	// TokenSecret, when set, gives the agents the Vault token as a file from this Secret
	// key, mounted into them only.
	TokenSecret *corev1.SecretKeySelector
	// Sidecar is false for init-only injection: no renewal agent.
	Sidecar bool
	// RefreshInterval is passed to the agent when not zero.
	RefreshInterval time.Duration
	// Image runs the injected containers, with ImagePullPolicy from Options.
	Image           string
	ImagePullPolicy corev1.PullPolicy
	// Resources of each injected container: Options.Resources with the annotations'
	// quantities on top.
	Resources corev1.ResourceRequirements
}

// ReadSettings reads every settings annotation of pod strictly and returns all the
// problems at once as a *Denial, each naming its annotation and the fix. Settings it
// cannot read fall back to opts.
func ReadSettings(pod *corev1.Pod, opts Options) (Settings, error) {
	s := Settings{Sidecar: true, Image: opts.Image, ImagePullPolicy: opts.ImagePullPolicy,
		Resources: *opts.Resources.DeepCopy()}
	var problems []string
	bad := func(annotation, format string, args ...any) {
		problems = append(problems, fmt.Sprintf("annotation %s: %s", annotation,
			fmt.Sprintf(format, args...)))
	}
	get := func(key string) (string, bool) {
		v, ok := pod.Annotations[key]
		return v, ok
	}

	problems = append(problems, unknownAnnotations(pod)...)
	if _, err := injectRequested(pod); err != nil {
		d, _ := IsDenial(err)
		problems = append(problems, d.Problems...)
	}

	if v, ok := get(AnnotationAuthMethod); ok {
		switch v {
		case AuthToken, AuthKubernetes:
			s.AuthMethod = v
		default:
			bad(AnnotationAuthMethod, "value %q is not allowed: set %q or %q", v, AuthToken,
				AuthKubernetes)
		}
	}
	if v, ok := get(AnnotationAuthRole); ok {
		if msg := vaultName(v); msg != "" {
			bad(AnnotationAuthRole, "value %q %s", v, msg)
		}
		s.AuthRole = v
	}
	if v, ok := get(AnnotationAuthPath); ok {
		if msg := vaultPath(v); msg != "" {
			bad(AnnotationAuthPath, "value %q %s", v, msg)
		}
		s.AuthPath = strings.TrimPrefix(v, "auth/")
	}
	if v, ok := get(AnnotationTokenSecret); ok {
		sel, msg := parseTokenSecret(v)
		if msg != "" {
			bad(AnnotationTokenSecret, "value %q %s", v, msg)
		}
		s.TokenSecret = sel
	}
	if v, ok := get(AnnotationAgentSidecar); ok {
		switch v {
		case "true":
		case "false":
			s.Sidecar = false
		default:
			bad(AnnotationAgentSidecar, "value %q is not allowed: set \"true\" for a renewal "+
				"agent next to the assistant or \"false\" for the init container only", v)
		}
	}
	if v, ok := get(AnnotationRefreshInterval); ok {
		d, err := time.ParseDuration(v)
		switch {
		case err != nil:
			bad(AnnotationRefreshInterval, "value %q is not a duration: write it like "+
				"\"5m\" or \"1h30m\"", v)
		case d < MinRefreshInterval:
			bad(AnnotationRefreshInterval, "value %q is below the minimum of %s: set a "+
				"longer interval", v, MinRefreshInterval)
		default:
			s.RefreshInterval = d
		}
	}
	if v, ok := get(AnnotationAgentImage); ok {
		if msg := imageProblem(v); msg != "" {
			bad(AnnotationAgentImage, "value %q %s", v, msg)
		} else {
			s.Image = v
		}
	}

	problems = append(problems, readResources(pod, &s)...)
	problems = append(problems, authProblems(pod, s)...)
	if len(problems) > 0 {
		return s, deny(problems...)
	}
	return s, nil
}

// authProblems checks that the auth annotations fit together.
func authProblems(pod *corev1.Pod, s Settings) []string {
	var problems []string
	_, hasRole := pod.Annotations[AnnotationAuthRole]
	_, hasPath := pod.Annotations[AnnotationAuthPath]
	switch s.AuthMethod {
	case AuthKubernetes:
		if !hasRole {
			problems = append(problems, fmt.Sprintf("annotation %s: required when %s is %q: "+
				"set it to the Vault role bound to the pod's service account",
				AnnotationAuthRole, AnnotationAuthMethod, AuthKubernetes))
		}
		if s.TokenSecret != nil {
			problems = append(problems, fmt.Sprintf("annotation %s: not used with %s %q: "+
				"remove it, or set %s to %q", AnnotationTokenSecret, AnnotationAuthMethod,
				AuthKubernetes, AnnotationAuthMethod, AuthToken))
		}
	default:
		if _, set := pod.Annotations[AnnotationAuthMethod]; set && s.AuthMethod == "" {
			return problems // the method itself is already reported
		}
		for _, a := range []struct {
			name string
			set  bool
		}{{AnnotationAuthRole, hasRole}, {AnnotationAuthPath, hasPath}} {
			if a.set {
				problems = append(problems, fmt.Sprintf("annotation %s: only used with %s "+
					"%q: set %s to %q, or remove it", a.name, AnnotationAuthMethod,
					AuthKubernetes, AnnotationAuthMethod, AuthKubernetes))
			}
		}
	}
	return problems
}

// parseTokenSecret reads "name" or "name/key"; the message is empty when valid.
func parseTokenSecret(v string) (*corev1.SecretKeySelector, string) {
	name, key, hasKey := strings.Cut(v, "/")
	if !hasKey {
		key = DefaultTokenSecretKey
	}
	if errs := validation.IsDNS1123Subdomain(name); name == "" || len(errs) > 0 {
		return nil, "does not start with a valid Secret name: write <secret-name> or " +
			"<secret-name>/<key>"
	}
	if errs := validation.IsConfigMapKey(key); len(errs) > 0 {
		return nil, "has an invalid key after the \"/\": write <secret-name>/<key> with a " +
			"key of letters, digits, '-', '_' or '.'"
	}
	return &corev1.SecretKeySelector{
		LocalObjectReference: corev1.LocalObjectReference{Name: name},
		Key:                  key,
	}, ""
}

// vaultName checks a Vault role name; the message is empty when valid.
func vaultName(v string) string {
	if v == "" || strings.ContainsAny(v, "/ \t\n") {
		return "is not a Vault role name: set a non-empty name without '/' or spaces"
	}
	return ""
}

// vaultPath checks the mount path of an auth method; the message is empty when valid.
func vaultPath(v string) string {
	trimmed := strings.TrimPrefix(v, "auth/")
	if trimmed == "" || strings.HasPrefix(trimmed, "/") || strings.HasSuffix(trimmed, "/") ||
		strings.ContainsAny(trimmed, " \t\n") || strings.Contains(trimmed, "//") {
		return "is not a Vault auth mount path: write it like \"kubernetes\" or " +
			"\"k8s/prod\", without leading or trailing '/'"
	}
	if strings.ContainsAny(trimmed, "?#%\\") ||
		strings.ContainsFunc(trimmed, unicode.IsControl) {
		return "is not a Vault auth mount path: use letters, digits, '-', '_', '.' and " +
			"'/' only, like \"k8s/prod\""
	}
	for _, segment := range strings.Split(trimmed, "/") {
		if segment == "." || segment == ".." {
			return "is not a Vault auth mount path: a '.' or '..' segment would log " +
				"in at another path than the one named; write the mount itself, " +
				"like \"k8s/prod\""
		}
	}
	return ""
}

// imageProblem checks an image reference loosely (the registry is never asked); the
// message is empty when it may be valid.
func imageProblem(v string) string {
	if v == "" || strings.ContainsAny(v, " \t\n") || strings.HasPrefix(v, "-") {
		return "is not an image reference: write it like " +
			"\"registry.example.com/rasa-vault-webhook:1.0\""
	}
	return ""
}

// unknownAnnotations names every annotation with the product's prefix that it does
// not know, so a typo is never silently ignored.
func unknownAnnotations(pod *corev1.Pod) []string {
	var problems []string
	for _, key := range slices.Sorted(maps.Keys(pod.Annotations)) {
		if !strings.HasPrefix(key, AnnotationPrefix) || slices.Contains(Annotations, key) {
			continue
		}
		problems = append(problems, fmt.Sprintf("annotation %s: unknown: fix its name "+
			"(known after %s: %s) or remove it", key, AnnotationPrefix, knownNames()))
	}
	return problems
}

// knownNames lists the annotations without their prefix, for a denial message.
func knownNames() string {
	names := make([]string, len(Annotations))
	for i, a := range Annotations {
		names[i] = strings.TrimPrefix(a, AnnotationPrefix)
	}
	return strings.Join(names, ", ")
}
