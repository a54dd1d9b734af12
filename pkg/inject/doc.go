// Package inject decides how a Rasa assistant pod is changed so that its endpoints.yml
// reaches it with the Vault references already resolved.
//
// Everything here is a pure function of the pod, the ConfigMap that holds endpoints.yml
// and the Options: no API calls, no Vault, no clock. The admission handler in
// pkg/webhook calls the steps in order:
//
//  1. Decide: is the pod opted in, not yet injected, and in a namespace we may touch?
//  2. Locate: which container is the assistant and which ConfigMap mount delivers its
//     endpoints.yml? The answer names exactly one ConfigMap for the handler to fetch.
//  3. Mutate: check that ConfigMap's endpoints.yml and return a changed copy of the pod
//     with a memory-backed volume, an init container that writes the resolved file, a
//     renewal agent running as a native sidecar, and the assistant's mount redirected.
//
// Plan runs the first two steps and lists the annotation problems with the layout's.
// The per-pod settings (auth, token Secret, sidecar, refresh interval, resources,
// image) come from the annotations listed in Annotations, read by ReadSettings.
//
// A pod that is wrong is answered with a *Denial listing every problem found, each
// naming the field and the fix; any other error means this package was misused.
package inject
