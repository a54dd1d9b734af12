//go:build !linux

package loadgen

import (
	"context"
	"net"
)

// dialBlocking connects to addr by ctx. Outside Linux it is the Go runtime's dialer,
// and the connection's reads wait in its network poller; the benchmark runs on Linux.
func dialBlocking(ctx context.Context, addr string) (net.Conn, error) {
	var d net.Dialer
	return d.DialContext(ctx, "tcp", addr)
}
