package webhook

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/rasa-vault-webhook/rasa-vault-webhook/pkg/inject"
)

// ConfigMapTimeout bounds the one API read of a review. The webhook is configured with
// a short timeoutSeconds so an outage never stalls pod creation for long; the read must
// leave most of that budget for the rest of the review and the reply.
const ConfigMapTimeout = 2 * time.Second

// readConfigMap GETs the ConfigMap named by target in namespace, the request's own. A
// ConfigMap that does not exist is an *inject.Denial: the pod cannot work without it.
func (h *Handler) readConfigMap(ctx context.Context, namespace string, target inject.Target) (
	*corev1.ConfigMap, error,
) {
	ctx, cancel := context.WithTimeout(ctx, ConfigMapTimeout)
	defer cancel()

	cm := &corev1.ConfigMap{}
	key := client.ObjectKey{Namespace: namespace, Name: target.ConfigMapName}
	err := h.Reader.Get(ctx, key, cm)
	switch {
	case err == nil:
		return cm, nil
	case apierrors.IsNotFound(err):
		return nil, &inject.Denial{Problems: []string{fmt.Sprintf("ConfigMap %s/%s not "+
			"found: volume %q of the pod names it for %s; create the ConfigMap before the "+
			"pod, or fix the volume's configMap.name", namespace, target.ConfigMapName,
			target.VolumeName, inject.EndpointsFile)}}
	}
	return nil, fmt.Errorf("reading ConfigMap %s/%s: %w", namespace, target.ConfigMapName, err)
}
