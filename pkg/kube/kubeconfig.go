package kube

import (
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"

	"gopkg.in/yaml.v3"
)

// kubeconfigFile is the part of a kubeconfig (clientcmd's v1 Config) this package
// reads. Unknown fields are ignored, as client-go ignores them.
type kubeconfigFile struct {
	CurrentContext string         `yaml:"current-context"`
	Clusters       []namedCluster `yaml:"clusters"`
	Contexts       []namedContext `yaml:"contexts"`
	Users          []namedUser    `yaml:"users"`
}

// namedCluster, namedContext and namedUser are the entries of the kubeconfig's lists.
type (
	namedCluster struct {
		Name    string      `yaml:"name"`
		Cluster kubeCluster `yaml:"cluster"`
	}
	namedContext struct {
		Name    string      `yaml:"name"`
		Context kubeContext `yaml:"context"`
	}
	namedUser struct {
		Name string   `yaml:"name"`
		User kubeUser `yaml:"user"`
	}
)

// kubeContext pairs a cluster with a user.
type kubeContext struct {
	Cluster string `yaml:"cluster"`
	User    string `yaml:"user"`
}

// kubeCluster says where the apiserver is and how to trust it.
type kubeCluster struct {
	Server                   string     `yaml:"server"`
	CertificateAuthority     string     `yaml:"certificate-authority"`
	CertificateAuthorityData string     `yaml:"certificate-authority-data"`
	InsecureSkipTLSVerify    strictBool `yaml:"insecure-skip-tls-verify"`
	TLSServerName            string     `yaml:"tls-server-name"`
	ProxyURL                 string     `yaml:"proxy-url"`
}

// kubeUser says how to authenticate. Exec, AuthProvider and the impersonation fields
// are read only to refuse them.
type kubeUser struct {
	ClientCertificate     string         `yaml:"client-certificate"`
	ClientCertificateData string         `yaml:"client-certificate-data"`
	ClientKey             string         `yaml:"client-key"`
	ClientKeyData         string         `yaml:"client-key-data"`
	Token                 string         `yaml:"token"`
	TokenFile             string         `yaml:"tokenFile"`
	Username              string         `yaml:"username"`
	Password              string         `yaml:"password"`
	Exec                  map[string]any `yaml:"exec"`
	AuthProvider          map[string]any `yaml:"auth-provider"`
	Impersonate           string         `yaml:"as"`
	ImpersonateUID        string         `yaml:"as-uid"`
	ImpersonateGroups     []string       `yaml:"as-groups"`
	ImpersonateUserExtra  map[string]any `yaml:"as-user-extra"`
}

// FromKubeconfig returns a client for the current context of the kubeconfig at path.
// Relative file paths in it are resolved against the kubeconfig's directory.
func FromKubeconfig(path string) (*Client, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading kubeconfig: %w; pass a readable kubeconfig file", err)
	}
	cfg, err := parseKubeconfig(path, data)
	if err != nil {
		return nil, err
	}
	return newClient(cfg)
}

// parseKubeconfig turns the kubeconfig data read from path into a config, reading
// the files it refers to. Every error names path and the offending field.
func parseKubeconfig(path string, data []byte) (config, error) {
	fail := func(format string, args ...any) (config, error) {
		return config{}, fmt.Errorf("kubeconfig %s: %w", path, fmt.Errorf(format, args...))
	}

	var file kubeconfigFile
	if err := yaml.Unmarshal(data, &file); err != nil {
		return fail("invalid YAML: %w", redactYAMLError(err))
	}
	sel, err := file.current()
	if err != nil {
		return fail("%w", err)
	}
	ctx, cluster, user := sel.context, sel.cluster, sel.user

	dir, err := filepath.Abs(filepath.Dir(path))
	if err != nil {
		return fail("resolving its directory: %w", err)
	}
	cfg := config{
		source:     "kubeconfig " + path,
		caField:    fmt.Sprintf("cluster %q: certificate-authority", ctx.Cluster),
		certField:  fmt.Sprintf("user %q: client-certificate/client-key", ctx.User),
		tokenField: fmt.Sprintf("user %q: tokenFile", ctx.User),
		server:     cluster.Server,
		serverName: cluster.TLSServerName,
		insecure:   bool(cluster.InsecureSkipTLSVerify),
		token:      user.Token,
		tokenFile:  resolvePath(dir, user.TokenFile),
		username:   user.Username,
		password:   user.Password,
	}
	if cfg.caPEM, err = fileOrData(dir, "certificate-authority",
		cluster.CertificateAuthority, cluster.CertificateAuthorityData); err != nil {
		return fail("cluster %q: %w", ctx.Cluster, err)
	}
	if cfg.certPEM, err = fileOrData(dir, "client-certificate",
		user.ClientCertificate, user.ClientCertificateData); err != nil {
		return fail("user %q: %w", ctx.User, err)
	}
	if cfg.keyPEM, err = fileOrData(dir, "client-key",
		user.ClientKey, user.ClientKeyData); err != nil {
		return fail("user %q: %w", ctx.User, err)
	}
	return cfg, nil
}

// selection is what the current context picks: its cluster and user, by name.
type selection struct {
	context kubeContext
	cluster kubeCluster
	user    kubeUser
}

// current returns the cluster and user of the current context, refusing settings
// this client does not implement rather than silently connecting differently.
func (f *kubeconfigFile) current() (selection, error) {
	if f.CurrentContext == "" {
		return selection{}, fmt.Errorf("current-context is not set; " +
			"set it (kubectl config use-context NAME)")
	}
	if err := f.checkUniqueNames(); err != nil {
		return selection{}, err
	}
	var sel selection
	var ok bool
	if sel.context, ok = f.context(f.CurrentContext); !ok {
		return selection{}, fmt.Errorf("current-context %q: no such entry in contexts; "+
			"fix current-context or add the context", f.CurrentContext)
	}
	if sel.cluster, ok = f.cluster(sel.context.Cluster); !ok {
		return selection{}, fmt.Errorf("context %q: cluster %q: no such entry in clusters",
			f.CurrentContext, sel.context.Cluster)
	}
	if sel.user, ok = f.user(sel.context.User); !ok {
		return selection{}, fmt.Errorf("context %q: user %q: no such entry in users",
			f.CurrentContext, sel.context.User)
	}
	if err := sel.cluster.check(); err != nil {
		return selection{}, fmt.Errorf("cluster %q: %w", sel.context.Cluster, err)
	}
	if err := sel.user.check(); err != nil {
		return selection{}, fmt.Errorf("user %q: %w", sel.context.User, err)
	}
	return sel, nil
}

// checkUniqueNames refuses two clusters, contexts or users of one name.
func (f *kubeconfigFile) checkUniqueNames() error {
	lists := []struct {
		field string
		names []string
	}{
		{"clusters", names(f.Clusters, func(c namedCluster) string { return c.Name })},
		{"contexts", names(f.Contexts, func(c namedContext) string { return c.Name })},
		{"users", names(f.Users, func(u namedUser) string { return u.Name })},
	}
	for _, l := range lists {
		if name, dup := duplicateName(l.names); dup {
			return fmt.Errorf("%s: %q appears twice; give each entry its own name",
				l.field, name)
		}
	}
	return nil
}

// names lists the names of entries.
func names[T any](entries []T, name func(T) string) []string {
	out := make([]string, len(entries))
	for i, e := range entries {
		out[i] = name(e)
	}
	return out
}

// context returns the context called name.
func (f *kubeconfigFile) context(name string) (kubeContext, bool) {
	for _, c := range f.Contexts {
		if c.Name == name {
			return c.Context, true
		}
	}
	return kubeContext{}, false
}

// cluster returns the cluster called name.
func (f *kubeconfigFile) cluster(name string) (kubeCluster, bool) {
	for _, c := range f.Clusters {
		if c.Name == name {
			return c.Cluster, true
		}
	}
	return kubeCluster{}, false
}

// user returns the user called name.
func (f *kubeconfigFile) user(name string) (kubeUser, bool) {
	for _, u := range f.Users {
		if u.Name == name {
			return u.User, true
		}
	}
	return kubeUser{}, false
}

// check refuses cluster settings this client does not implement.
func (c kubeCluster) check() error {
	if c.Server == "" {
		return fmt.Errorf("server is not set; set the apiserver's https:// URL")
	}
	if _, err := normalizeServer(c.Server); err != nil {
		return fmt.Errorf("server %q: %w", c.Server, err)
	}
	if c.ProxyURL != "" {
		return fmt.Errorf("proxy-url is not supported by `webhook serve`; " +
			"remove it, the apiserver must be reachable directly")
	}
	return nil
}

// check refuses user settings this client does not implement.
func (u kubeUser) check() error {
	const use = "use a token, tokenFile or client certificate " +
		"(serve normally runs in-cluster with its service account)"
	if u.Exec != nil {
		return fmt.Errorf("exec credential plugins are not supported by " +
			"`webhook serve`; " + use)
	}
	if u.AuthProvider != nil {
		return fmt.Errorf("auth-provider is not supported by `webhook serve`; " + use)
	}
	if u.Impersonate != "" || u.ImpersonateUID != "" ||
		len(u.ImpersonateGroups) > 0 || len(u.ImpersonateUserExtra) > 0 {
		return fmt.Errorf("impersonation (as, as-uid, as-groups, as-user-extra) is " +
			"not supported by `webhook serve`; authenticate as the webhook's own user")
	}
	hasToken := u.Token != "" || u.TokenFile != ""
	if hasToken && (u.Username != "" || u.Password != "") {
		return fmt.Errorf("token/tokenFile and username/password are both set; " +
			"keep only one authentication method")
	}
	return nil
}

// fileOrData returns the bytes a kubeconfig gives either inline as base64 in the
// field's -data variant or as a file path, which is resolved against dir.
func fileOrData(dir, field, path, data string) ([]byte, error) {
	switch {
	case path != "" && data != "":
		return nil, fmt.Errorf("%s and %s-data are both set; keep one", field, field)
	case data != "":
		decoded, err := base64.StdEncoding.DecodeString(data)
		if err != nil {
			return nil, fmt.Errorf("%s-data is not valid base64: %w", field, err)
		}
		return decoded, nil
	case path != "":
		content, err := os.ReadFile(resolvePath(dir, path))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", field, err)
		}
		return content, nil
	}
	return nil, nil
}

// resolvePath makes a relative path relative to dir (the kubeconfig's directory),
// client-go's rule; "" stays "".
func resolvePath(dir, path string) string {
	if path == "" || filepath.IsAbs(path) {
		return path
	}
	return filepath.Join(dir, path)
}
