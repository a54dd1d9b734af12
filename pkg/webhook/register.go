package webhook

import (
	"sigs.k8s.io/controller-runtime/pkg/webhook"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"
)

// Path is where the webhook server serves pod admission reviews; the
// MutatingWebhookConfiguration's clientConfig.service.path must say the same.
const Path = "/mutate-pod"

// NewWebhook wraps h for an HTTP server. controller-runtime's admission.Webhook caps the
// body size, checks the content type, recovers panics and writes the review response.
func NewWebhook(h *Handler) *admission.Webhook {
	return &admission.Webhook{Handler: h}
}

// Register serves h at Path on server.
func Register(server webhook.Server, h *Handler) {
	server.Register(Path, NewWebhook(h))
}
