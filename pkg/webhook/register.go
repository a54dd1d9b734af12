package webhook

// Path is where the webhook server serves pod admission reviews; the
// MutatingWebhookConfiguration's clientConfig.service.path must say the same.
const Path = "/mutate-pod"
