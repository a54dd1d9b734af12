package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	yamlv3 "gopkg.in/yaml.v3"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"

	"github.com/rasa-vault-webhook/rasa-vault-webhook/pkg/inject"
)

// maxManifestBytes caps what inject reads from a file: a pod or ConfigMap is at most
// about 1.5 MiB in etcd, so anything larger is not one.
const maxManifestBytes = 3 << 20

// injectFlags are the flags of `webhook inject`.
type injectFlags struct {
	pod, configMap, namespace, image string
	sidecarAsContainer               bool
}

func parseInjectFlags(args []string, stderr io.Writer) (injectFlags, error) {
	var f injectFlags
	fs := flag.NewFlagSet("inject", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&f.pod, "f", "", "the Pod manifest (YAML or JSON; - reads stdin)")
	fs.StringVar(&f.configMap, "configmap", "", "the ConfigMap manifest holding endpoints.yml")
	fs.StringVar(&f.namespace, "namespace", "", "namespace the pod is created in "+
		"(default: the pod's metadata.namespace, else \"default\")")
	fs.StringVar(&f.image, "agent-image", inject.DefaultImage,
		"image of the injected containers, as serve's --agent-image")
	fs.BoolVar(&f.sidecarAsContainer, "no-native-sidecars", false,
		"preview for an apiserver older than 1.29 (agent as a regular container)")
	if err := parseFlags(fs, args); err != nil {
		return f, err
	}
	if fs.NArg() > 0 {
		return f, fmt.Errorf("inject takes no arguments, got %q", fs.Args())
	}
	if f.pod == "" {
		return f, errors.New("-f: missing: name the Pod manifest to preview")
	}
	if f.pod == "-" && f.configMap == "-" {
		return f, errors.New("-f - and --configmap -: only one of them can read stdin; " +
			"pass the other as a file")
	}
	return f, nil
}

// runInject prints the pod as the webhook would admit it, or the denial, without a
// cluster: exit 0 with the pod (warnings on stderr), 1 for a denial, 2 for bad usage.
func runInject(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	f, err := parseInjectFlags(args, stderr)
	if err != nil {
		return usageExit(err, stderr)
	}

	pod := &corev1.Pod{}
	if err := readManifest(f.pod, "Pod", stdin, pod); err != nil {
		fmt.Fprintln(stderr, err)
		return 2
	}
	namespace := f.namespace
	if namespace != "" && pod.Namespace != "" && namespace != pod.Namespace {
		fmt.Fprintf(stderr, "--namespace %s: the Pod manifest is in namespace %q, as "+
			"kubectl would refuse too: drop the flag or make the two match\n", namespace,
			pod.Namespace)
		return 2
	}
	if namespace == "" {
		namespace = pod.Namespace
	}
	if namespace == "" {
		namespace = "default"
	}

	opts := inject.DefaultOptions()
	opts.Image = f.image
	opts.SidecarAsContainer = f.sidecarAsContainer
	if err := opts.Validate(); err != nil {
		fmt.Fprintf(stderr, "injection options: %v\n", err)
		return 2
	}

	out, warnings, err := preview(f, pod, namespace, stdin, opts)
	for _, w := range warnings {
		fmt.Fprintf(stderr, "Warning: %s\n", w)
	}
	if d, ok := inject.IsDenial(err); ok {
		fmt.Fprintln(stderr, "denied:")
		for _, p := range d.Problems {
			fmt.Fprintf(stderr, "  - %s\n", p)
		}
		return 1
	}
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 2
	}

	data, err := yaml.Marshal(out)
	if err != nil {
		fmt.Fprintf(stderr, "encoding the pod: %v\n", err)
		return 2
	}
	_, _ = stdout.Write(data)
	return 0
}

// preview runs the admission steps on pod; a pod left alone comes back unchanged with
// the reason as a warning.
func preview(
	f injectFlags, pod *corev1.Pod, namespace string, stdin io.Reader, opts inject.Options,
) (*corev1.Pod, []string, error) {
	decision, target, err := inject.Plan(pod, namespace, opts)
	if err != nil {
		return nil, nil, err
	}
	if !decision.Inject {
		return pod, []string{"pod left unchanged: " + decision.Reason}, nil
	}

	if f.configMap == "" {
		return nil, nil, fmt.Errorf("--configmap: missing: the pod reads %s from "+
			"ConfigMap %q; pass its manifest", inject.EndpointsFile, target.ConfigMapName)
	}
	cm := &corev1.ConfigMap{}
	if err := readManifest(f.configMap, "ConfigMap", stdin, cm); err != nil {
		return nil, nil, err
	}
	if cm.Name != target.ConfigMapName {
		return nil, nil, fmt.Errorf("--configmap: %s holds ConfigMap %q, but the pod reads "+
			"%s from ConfigMap %q: pass that one", f.configMap, cm.Name,
			inject.EndpointsFile, target.ConfigMapName)
	}
	if cm.Namespace != "" && cm.Namespace != namespace {
		return nil, nil, fmt.Errorf("--configmap: %s is in namespace %q, the pod in %q: "+
			"the webhook reads ConfigMaps of the pod's own namespace only", f.configMap,
			cm.Namespace, namespace)
	}
	return inject.Mutate(pod, cm, target, opts)
}

// readManifest reads one object of kind from path ("-" for stdin), strictly: an
// unknown field is an error naming it, as kubectl's strict validation does.
func readManifest(path, kind string, stdin io.Reader, into any) error {
	var r io.Reader = stdin
	if path != "-" {
		file, err := os.Open(path)
		if err != nil {
			return fmt.Errorf("reading the %s manifest: %w", kind, err)
		}
		defer file.Close()
		r = file
	}
	data, err := io.ReadAll(io.LimitReader(r, maxManifestBytes+1))
	if err != nil {
		return fmt.Errorf("reading the %s manifest %s: %w", kind, path, err)
	}
	if len(data) > maxManifestBytes {
		return fmt.Errorf("the %s manifest %s is larger than %d bytes: pass one object",
			kind, path, maxManifestBytes)
	}

	data, err = oneObject(data)
	if err != nil {
		return fmt.Errorf("the %s manifest %s: %w", kind, path, err)
	}
	var meta struct{ Kind string }
	if err := yaml.Unmarshal(data, &meta); err != nil {
		return fmt.Errorf("the %s manifest %s: %w", kind, path, err)
	}
	if meta.Kind != kind {
		return fmt.Errorf("the %s manifest %s: kind is %q, want %q (one object per file)",
			kind, path, meta.Kind, kind)
	}
	if err := yaml.UnmarshalStrict(data, into); err != nil {
		return fmt.Errorf("the %s manifest %s: %w", kind, path, err)
	}
	return nil
}

// oneObject returns data from its one object on: it fails when data holds a second
// object, which the manifest decoder would silently ignore, and skips empty documents
// before the object (the decoder would read the first, empty, one). Empty documents
// after it (a trailing ---) are fine, as for kubectl. A syntax error in the object is
// left to the manifest decoder, which names the line.
func oneObject(data []byte) ([]byte, error) {
	dec := yamlv3.NewDecoder(bytes.NewReader(data))
	object, skipped := data, 0
	for objects := 0; ; {
		var doc yamlv3.Node
		err := dec.Decode(&doc)
		switch {
		case errors.Is(err, io.EOF):
			return object, nil
		case err != nil && objects == 0:
			return object, nil
		case err == nil && emptyDocument(&doc):
			skipped++
			continue
		}
		if objects++; objects > 1 || err != nil {
			return nil, errors.New("it holds more than one object (YAML documents or " +
				"JSON values): pass one object per file")
		}
		if skipped > 0 && len(doc.Content) > 0 {
			object = fromLine(data, doc.Content[0].Line)
		}
	}
}

// fromLine is data from the start of its 1-based line on.
func fromLine(data []byte, line int) []byte {
	for i := 1; i < line; i++ {
		next := bytes.IndexByte(data, '\n')
		if next < 0 {
			return nil
		}
		data = data[next+1:]
	}
	return data
}

// emptyDocument reports whether doc holds nothing, or only null.
func emptyDocument(doc *yamlv3.Node) bool {
	return len(doc.Content) == 0 || len(doc.Content) == 1 &&
		doc.Content[0].Kind == yamlv3.ScalarNode && doc.Content[0].Tag == "!!null"
}
