package kube

import (
	"context"
	"crypto/x509"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/rasa-vault-webhook/rasa-vault-webhook/internal/testpki"
)

// kubeconfigFixture holds what the kubeconfig table tests refer to: a TLS server, its
// CA and a client certificate as files in the kubeconfig's directory and as data.
type kubeconfigFixture struct {
	srv     *httptest.Server
	dir     string
	ca      string // base64 CA, as certificate-authority-data holds it
	cert    string // base64 client certificate
	key     string // base64 client key
	absCA   string // absolute path of the CA file
	cluster string // a working cluster entry
}

func newKubeconfigFixture(t *testing.T) *kubeconfigFixture {
	t.Helper()
	srv := startAPIServer(t, func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(`{"gitVersion":"v1.37.2"}`))
	})
	dir := t.TempDir()
	client := testpki.NewCA(t).Issue(t, "test-user", testpki.Usage(x509.ExtKeyUsageClientAuth))
	certPEM, keyPEM := client.Cert, client.Key
	writeFile(t, dir, "ca.crt", string(caPEM(srv)))
	writeFile(t, dir, "client.crt", string(certPEM))
	writeFile(t, dir, "client.key", string(keyPEM))
	writeFile(t, dir, "token", "file-token")
	return &kubeconfigFixture{
		srv:     srv,
		dir:     dir,
		ca:      b64(caPEM(srv)),
		cert:    b64(certPEM),
		key:     b64(keyPEM),
		absCA:   filepath.Join(dir, "ca.crt"),
		cluster: "server: " + srv.URL + "\ncertificate-authority: ca.crt",
	}
}

func TestKubeconfigsThatWork(t *testing.T) {
	f := newKubeconfigFixture(t)
	server := "server: " + f.srv.URL + "/"
	tests := []struct {
		name, cluster, user string
	}{
		{"a relative CA file resolves against the kubeconfig's directory",
			server + "\ncertificate-authority: ca.crt", "token: t"},
		{"an absolute CA file is used as is",
			server + "\ncertificate-authority: " + f.absCA, "token: t"},
		{"CA data is decoded from base64",
			server + "\ncertificate-authority-data: " + f.ca, "token: t"},
		{"insecure-skip-tls-verify trusts any server certificate",
			server + "\ninsecure-skip-tls-verify: true", "token: t"},
		{"tls-server-name is a name the certificate holds",
			server + "\ncertificate-authority: ca.crt\ntls-server-name: example.com",
			"token: t"},
		{"client certificate and key files resolve relatively",
			f.cluster, "client-certificate: client.crt\nclient-key: client.key"},
		{"client certificate and key data are decoded",
			f.cluster, "client-certificate-data: " + f.cert + "\nclient-key-data: " + f.key},
		{"a relative tokenFile resolves against the kubeconfig's directory",
			f.cluster, "tokenFile: token"},
		{"no credentials at all is allowed (anonymous)", f.cluster, "{}"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeFile(t, f.dir, "kubeconfig", kubeconfigYAML(tt.cluster, tt.user))
			c, err := FromKubeconfig(path)
			if err != nil {
				t.Fatal(err)
			}
			if strings.HasSuffix(c.Host(), "/") {
				t.Errorf("Host() = %q keeps the trailing slash", c.Host())
			}
			if _, err := c.ServerVersion(context.Background()); err != nil {
				t.Fatalf("the configured client cannot reach the server: %v", err)
			}
		})
	}
}

func TestKubeconfigErrorsNameTheFileAndTheField(t *testing.T) {
	f := newKubeconfigFixture(t)
	withContext := func(ctx string) string {
		return strings.Replace(kubeconfigYAML(f.cluster, "token: t"),
			"current-context: test", ctx, 1)
	}
	tests := []struct {
		name   string
		yaml   string
		inText []string
	}{
		{"invalid YAML", "clusters: [", []string{"invalid YAML"}},
		{"no current-context", withContext(""), []string{"current-context is not set"}},
		{"an unknown context", withContext("current-context: nope"),
			[]string{`current-context "nope"`, "contexts"}},
		{"an unknown cluster", strings.Replace(kubeconfigYAML(f.cluster, "token: t"),
			"cluster: c", "cluster: nope", 1), []string{`cluster "nope"`}},
		{"an unknown user", strings.Replace(kubeconfigYAML(f.cluster, "token: t"),
			"user: u", "user: nope", 1), []string{`user "nope"`}},
		{"no server", kubeconfigYAML("certificate-authority: ca.crt", "token: t"),
			[]string{`cluster "c"`, "server is not set"}},
		{"a server that is not https", kubeconfigYAML("server: ftp://x", "token: t"),
			[]string{`cluster "c": server "ftp://x"`, "https://"}},
		{"a proxy-url", kubeconfigYAML(f.cluster+"\nproxy-url: http://127.0.0.1:1",
			"token: t"), []string{"proxy-url is not supported"}},
		{"a missing CA file", kubeconfigYAML("server: https://x\ncertificate-authority: "+
			"nope.crt", "token: t"), []string{`cluster "c"`, "certificate-authority",
			filepath.Join(f.dir, "nope.crt")}},
		{"CA data that is not base64", kubeconfigYAML("server: https://x\n"+
			"certificate-authority-data: '%%%'", "token: t"),
			[]string{"certificate-authority-data is not valid base64"}},
		{"CA data that is not PEM", kubeconfigYAML("server: https://x\n"+
			"certificate-authority-data: "+b64([]byte("junk")), "token: t"),
			[]string{`cluster "c": certificate-authority`, "no PEM certificate"}},
		{"CA file and data both set", kubeconfigYAML(f.cluster+
			"\ncertificate-authority-data: "+f.ca, "token: t"),
			[]string{"certificate-authority and certificate-authority-data are both set"}},
		{"a CA with insecure-skip-tls-verify", kubeconfigYAML(f.cluster+
			"\ninsecure-skip-tls-verify: true", "token: t"),
			[]string{"insecure-skip-tls-verify"}},
		{"a client certificate without its key", kubeconfigYAML(f.cluster,
			"client-certificate: client.crt"), []string{`user "u": client-certificate`,
			"set together"}},
		{"a client key that does not match", kubeconfigYAML(f.cluster,
			"client-certificate: client.crt\nclient-key-data: "+b64([]byte("junk"))),
			[]string{`user "u": client-certificate/client-key`}},
		{"exec", kubeconfigYAML(f.cluster, "exec:\n  command: aws"),
			[]string{`user "u"`, "exec credential plugins are not supported",
				"token", "client certificate"}},
		{"auth-provider", kubeconfigYAML(f.cluster, "auth-provider:\n  name: oidc"),
			[]string{"auth-provider is not supported"}},
		{"impersonation", kubeconfigYAML(f.cluster, "token: t\nas: admin"),
			[]string{"impersonation"}},
		{"a token and basic auth", kubeconfigYAML(f.cluster,
			"token: t\nusername: a\npassword: b"), []string{`user "u"`, "only one authentication"}},
		{"a missing tokenFile", kubeconfigYAML(f.cluster, "tokenFile: gone"),
			[]string{`user "u": tokenFile`, filepath.Join(f.dir, "gone")}},
		{"insecure-skip-tls-verify quoted", kubeconfigYAML("server: https://x\n"+
			`insecure-skip-tls-verify: "true"`, "token: t"),
			[]string{"insecure-skip-tls-verify: want true or false"}},
		{"insecure-skip-tls-verify yes", kubeconfigYAML("server: https://x\n"+
			"insecure-skip-tls-verify: yes", "token: t"),
			[]string{"insecure-skip-tls-verify: want true or false"}},
		{"insecure-skip-tls-verify 'on'", kubeconfigYAML("server: https://x\n"+
			"insecure-skip-tls-verify: 'on'", "token: t"),
			[]string{"insecure-skip-tls-verify: want true or false"}},
		{"a value of the wrong type is not quoted", kubeconfigYAML(f.cluster,
			"token: t\nexec: PLANTED-token"), []string{"invalid YAML", "line"}},
		{"two users of one name", strings.Replace(kubeconfigYAML(f.cluster, "token: t"),
			"users:", "users:\n- name: u\n  user:\n    token: other", 1),
			[]string{`users: "u" appears twice`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeFile(t, f.dir, "kubeconfig", tt.yaml)
			_, err := FromKubeconfig(path)
			if err == nil {
				t.Fatal("accepted")
			}
			t.Log(err)
			if strings.Contains(err.Error(), "PLANTED") || strings.Contains(err.Error(),
				"other") {
				t.Errorf("error %q quotes a value of the kubeconfig", err)
			}
			for _, want := range append([]string{"kubeconfig " + path}, tt.inText...) {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not mention %q", err, want)
				}
			}
		})
	}
}

func TestTLSServerNameIsCheckedAgainstTheCertificate(t *testing.T) {
	f := newKubeconfigFixture(t)
	cluster := f.cluster + "\ntls-server-name: other.test"
	path := writeFile(t, f.dir, "kubeconfig", kubeconfigYAML(cluster, "token: t"))
	c, err := FromKubeconfig(path)
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.ServerVersion(context.Background())
	if err == nil || !strings.Contains(err.Error(), "other.test") {
		t.Fatalf("got %v, want a certificate error for other.test", err)
	}
}

func TestAMissingKubeconfigSaysSo(t *testing.T) {
	path := filepath.Join(t.TempDir(), "absent")
	_, err := Load(path)
	if err == nil || !strings.Contains(err.Error(), path) {
		t.Fatalf("got %v, want an error naming %s", err, path)
	}
}

func TestAPercentSignInThePathIsQuotedLiterally(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "100%s")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	path := writeFile(t, dir, "kubeconfig", "current-context: ''")
	_, err := FromKubeconfig(path)
	if err == nil || !strings.Contains(err.Error(), "kubeconfig "+path+": current-context") {
		t.Fatalf("got %v, want an error naming %s", err, path)
	}
}

func FuzzKubeconfigParsing(f *testing.F) {
	f.Add([]byte(kubeconfigYAML("server: https://127.0.0.1:6443", "token: t")))
	f.Add([]byte(kubeconfigYAML("server: https://x\ninsecure-skip-tls-verify: true",
		"exec:\n  command: x")))
	f.Add([]byte("current-context: [1, 2]"))
	f.Fuzz(func(t *testing.T, data []byte) {
		// Only inline fields: a fuzzed file path could name a device that never ends.
		var file kubeconfigFile
		if yaml.Unmarshal(data, &file) == nil && refersToFiles(&file) {
			t.Skip()
		}
		cfg, err := parseKubeconfig(filepath.Join(t.TempDir(), "kubeconfig"), data)
		if err == nil && cfg.server == "" {
			t.Error("a kubeconfig without a server was accepted")
		}
	})
}

// refersToFiles reports whether any entry of file names a file to read.
func refersToFiles(file *kubeconfigFile) bool {
	for _, c := range file.Clusters {
		if c.Cluster.CertificateAuthority != "" {
			return true
		}
	}
	for _, u := range file.Users {
		if u.User.ClientCertificate != "" || u.User.ClientKey != "" || u.User.TokenFile != "" {
			return true
		}
	}
	return false
}
