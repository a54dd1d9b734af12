package kube_test

import (
	"context"
	"fmt"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"

	"github.com/rasa-vault-webhook/rasa-vault-webhook/pkg/kube"
)

// A webhook reads its ConfigMap with a deadline and tells a missing one apart from a
// failed read.
func ExampleClient_GetConfigMap() {
	c, err := kube.Load("") // in-cluster; pass a path outside a cluster
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()

	cm, err := c.GetConfigMap(ctx, "team-a", "vault-endpoints")
	switch {
	case apierrors.IsNotFound(err):
		fmt.Println("no ConfigMap team-a/vault-endpoints")
	case err != nil:
		fmt.Println("reading ConfigMap team-a/vault-endpoints:", err)
	default:
		fmt.Println(len(cm.Data), "keys")
	}
}
