// Command demo acts out rasa-vault-webhook's main job on real, local parts for a person
// to watch (`make demo`): kube-apiserver + etcd, Vault, PostgreSQL, the webhook binary,
// an annotated Rasa-shaped pod, its init container, and a stand-in assistant logging in
// to the database with the credentials that came from Vault. It cleans up after itself.
package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"time"

	"gopkg.in/yaml.v3"
	corev1 "k8s.io/api/core/v1"

	"github.com/rasa-vault-webhook/rasa-vault-webhook/test/scenario"
)

type narrator struct{ n int }

// step prints a numbered step and returns a func printing how long it took.
func (nr *narrator) step(format string, args ...any) func() {
	nr.n++
	start := time.Now()
	fmt.Printf("\n[%d] %s\n", nr.n, fmt.Sprintf(format, args...))
	return func() { fmt.Printf("    done in %s\n", time.Since(start).Round(time.Millisecond)) }
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, 15*time.Minute)
	defer cancel()
	if err := run(ctx); err != nil {
		if ctx.Err() != nil {
			fmt.Fprintf(os.Stderr, "\ndemo stopped (%v); everything it started was stopped\n",
				context.Cause(ctx))
		} else {
			fmt.Fprintf(os.Stderr, "\ndemo failed: %v\n", err)
		}
		os.Exit(1)
	}
}

func run(ctx context.Context) error {
	total := time.Now()
	nr := &narrator{}
	fmt.Println("rasa-vault-webhook demo: a Rasa assistant gets its tracker-store credentials " +
		"from Vault")
	fmt.Println("(the first run on a machine builds etcd, kube-apiserver and Vault: " +
		"minutes; later runs: seconds)")
	w, err := scenario.Start(ctx, nr.step)
	if w != nil {
		defer func() {
			done := nr.step("clean up: stop the webhook, PostgreSQL, Vault, " +
				"kube-apiserver and etcd")
			w.Stop()
			done()
		}()
	}
	if err != nil {
		return err
	}

	done := nr.step("create a restricted namespace, credentials in Vault and PostgreSQL, a " +
		"Secret with a read-only Vault token, the assistant's ConfigMap, and the annotated Pod " +
		"(Rasa Helm chart layout)")
	d, err := w.DeployAssistant(ctx, scenario.AssistantOptions{Layout: scenario.SubPathLayout})
	if err != nil {
		return err
	}
	if d.CreateErr != nil {
		return fmt.Errorf("the apiserver refused the pod: %w", d.CreateErr)
	}
	done()
	fmt.Printf("    namespace %s, pod %s\n", d.Namespace, d.Pod.Name)

	done = nr.step("what the webhook injected (as stored by the apiserver)")
	describeInjection(d.Pod)
	done()

	pod, err := w.Kubelet(d.EndpointsPath).Prepare(ctx, d.Pod)
	if err != nil {
		return err
	}
	defer pod.Stop()
	done = nr.step("play the kubelet: run rvw-init (webhook agent --once), " +
		"start the rvw-agent sidecar")
	results, err := pod.RunInitContainers(ctx, 90*time.Second)
	for _, r := range results {
		fmt.Printf("    %s exited %d after %s\n", r.Container, r.ExitCode,
			r.Duration.Round(time.Millisecond))
	}
	if err != nil {
		return fmt.Errorf("%w\n%s", err, pod.Output())
	}
	done()

	done = nr.step("the resolved %s in the memory volume (credentials masked)", d.EndpointsPath)
	local, err := pod.HostPath("rasa", d.EndpointsPath)
	if err != nil {
		return err
	}
	data, err := os.ReadFile(local)
	if err != nil {
		return err
	}
	fmt.Print(indent(mask(data, d.DBPassword, d.DBUser)))
	done()

	done = nr.step("start the assistant (stand-in for Rasa's SQL tracker store) " +
		"with the unchanged command")
	res, err := pod.Run(ctx, "rasa", 30*time.Second)
	if err != nil {
		return err
	}
	fmt.Print(indent([]byte(strings.ReplaceAll(res.Output, d.DBUser, "********"))))
	if res.ExitCode != 0 {
		return fmt.Errorf("the assistant could not log in (exit %d)", res.ExitCode)
	}
	done()

	fmt.Printf("\nDatabase login succeeded with credentials that came from Vault and never sat "+
		"in the pod spec or a ConfigMap. Total %s.\n", time.Since(total).Round(time.Second))
	return nil
}

func describeInjection(pod *corev1.Pod) {
	for _, c := range pod.Spec.InitContainers {
		kind := "init container"
		if c.RestartPolicy != nil && *c.RestartPolicy == corev1.ContainerRestartPolicyAlways {
			kind = "native sidecar"
		}
		var env []string
		for _, e := range c.Env {
			src := "literal"
			if e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil {
				src = "from Secret " + e.ValueFrom.SecretKeyRef.Name
			}
			env = append(env, e.Name+" ("+src+")")
		}
		argv := strings.Join(append(c.Command, c.Args...), " ")
		fmt.Printf("    %-9s %s: %s\n", c.Name, kind, argv)
		fmt.Printf("              env moved from the assistant: %s\n", strings.Join(env, ", "))
	}
	for _, v := range pod.Spec.Volumes {
		if v.EmptyDir != nil && v.EmptyDir.Medium == corev1.StorageMediumMemory {
			fmt.Printf("    volume %s: memory-backed emptyDir, size limit %s\n", v.Name,
				v.EmptyDir.SizeLimit)
		}
	}
	for _, c := range pod.Spec.Containers {
		for _, m := range c.VolumeMounts {
			if m.Name == "rvw-secrets" {
				fmt.Printf("    container %s: %s now comes from %s (subPath %q)\n", c.Name,
					m.MountPath, m.Name, m.SubPath)
			}
		}
	}
}

// mask re-encodes the YAML with every scalar equal to one of secrets replaced by
// asterisks.
func mask(data []byte, secrets ...string) []byte {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return []byte("(not YAML; not shown)\n")
	}
	var walk func(n *yaml.Node)
	walk = func(n *yaml.Node) {
		if n.Kind == yaml.ScalarNode && slices.Contains(secrets, n.Value) {
			n.Value = "********"
		}
		for _, c := range n.Content {
			walk(c)
		}
	}
	walk(&doc)
	var out bytes.Buffer
	enc := yaml.NewEncoder(&out)
	enc.SetIndent(2)
	if err := enc.Encode(&doc); err != nil {
		return []byte("(could not re-encode; not shown)\n")
	}
	return out.Bytes()
}

func indent(b []byte) string {
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	return "    | " + strings.Join(lines, "\n    | ") + "\n"
}
