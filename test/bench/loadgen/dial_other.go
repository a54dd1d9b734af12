//go:build !linux

package loadgen

import "net"

// dialBlocking connects to addr. Outside Linux it is net.Dial, and the connection's
// reads wait in the Go runtime's network poller; the benchmark runs on Linux only.
func dialBlocking(addr string) (net.Conn, error) {
	return net.DialTimeout("tcp", addr, requestTimeout)
}
