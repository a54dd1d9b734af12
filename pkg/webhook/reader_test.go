package webhook

import (
	"context"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// clientReader lets the tests serve ConfigMaps from controller-runtime's fake client,
// with its interceptors for failures and delays.
type clientReader struct{ c client.Reader }

// GetConfigMap gets namespace/name from the wrapped client.
func (r clientReader) GetConfigMap(ctx context.Context, namespace, name string) (
	*corev1.ConfigMap, error,
) {
	cm := &corev1.ConfigMap{}
	if err := r.c.Get(ctx, client.ObjectKey{Namespace: namespace, Name: name}, cm); err != nil {
		return nil, err
	}
	return cm, nil
}
