// Package loadgen posts one fixed request body to an HTTPS endpoint and measures how the
// server answers: a closed loop (N workers, each sending the next request when the last
// one returns) for throughput, and an open loop (requests scheduled at a fixed rate,
// whatever the server does) for latency under a steady arrival rate.
//
// The open loop measures each latency from the request's scheduled send time, not from
// when it was actually sent, so a server that stalls is charged for the requests that
// queued behind the stall (no coordinated omission).
package loadgen
