// Package agent is what the injected containers run. In init mode (Options.Once) it
// reads the pod's endpoints.yml, fetches the referenced values from Vault the way Rasa
// Pro would (one KV version 2 secret, optional Transit decryption), writes the resolved
// copy atomically into the pod's tmpfs and exits; on any failure it writes nothing and
// leaves a one-line cause in the termination message. In agent mode it does the same
// and then stays up: it keeps the token alive on Rasa's renewal schedule, re-reads the
// secret on an interval, rewrites the file only when the result changes, and reports
// its state through Health, which ServeHealth exposes on loopback for Probe (the
// sidecar's exec probe). With Kubernetes auth it logs in again whenever its token can
// no longer be renewed; with a token file it adopts the token of a rotated file.
//
// No value read from Vault, no token and no endpoints.yml content ever reaches a log
// line, an error or the termination message.
package agent
