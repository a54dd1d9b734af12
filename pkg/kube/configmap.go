package kube

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// GetConfigMap reads the ConfigMap namespace/name. A missing ConfigMap returns an
// error for which apierrors.IsNotFound is true; a refused read, IsForbidden.
func (c *Client) GetConfigMap(
	ctx context.Context, namespace, name string,
) (*corev1.ConfigMap, error) {
	if err := checkPathSegment("namespace", namespace); err != nil {
		return nil, err
	}
	if err := checkPathSegment("ConfigMap name", name); err != nil {
		return nil, err
	}

	path := "/api/v1/namespaces/" + url.PathEscape(namespace) +
		"/configmaps/" + url.PathEscape(name)
	what := target{resource: schema.GroupResource{Resource: "configmaps"}, name: name}
	cm := &corev1.ConfigMap{}
	if err := c.get(ctx, path, what, cm); err != nil {
		return nil, err
	}
	return cm, nil
}

// checkPathSegment rejects values that cannot be an object's name and would change
// the request's path, the same rule client-go applies before sending a request.
func checkPathSegment(field, value string) error {
	switch {
	case value == "":
		return fmt.Errorf("%s is empty; give the object's name", field)
	case value == "." || value == "..":
		return fmt.Errorf("%s %q is not a valid name", field, value)
	case strings.ContainsAny(value, "/%"):
		return fmt.Errorf("%s %q may not contain '/' or '%%'", field, value)
	}
	return nil
}
