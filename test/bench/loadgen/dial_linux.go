//go:build linux

package loadgen

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// dialBlocking connects to addr, an IP literal and port, with a socket left in
// blocking mode: reads and writes are plain read(2) and write(2) on the calling
// thread instead of waits in the Go runtime's network poller. A read or write that
// waits longer than requestTimeout fails (SO_RCVTIMEO, SO_SNDTIMEO).
func dialBlocking(addr string) (net.Conn, error) {
	ap, err := netip.ParseAddrPort(addr)
	if err != nil {
		return nil, fmt.Errorf("the open loop dials an IP address and port: %w", err)
	}
	ap = netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
	var (
		family int
		sa     unix.Sockaddr
	)
	if ap.Addr().Is4() {
		family, sa = unix.AF_INET, &unix.SockaddrInet4{Port: int(ap.Port()),
			Addr: ap.Addr().As4()}
	} else {
		family, sa = unix.AF_INET6, &unix.SockaddrInet6{Port: int(ap.Port()),
			Addr: ap.Addr().As16()}
	}
	fd, err := unix.Socket(family, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, os.NewSyscallError("socket", err)
	}
	if err := setupBlocking(fd, sa); err != nil {
		_ = unix.Close(fd)
		return nil, err
	}
	return &blockingConn{fd: fd, remote: net.TCPAddrFromAddrPort(ap)}, nil
}

// setupBlocking sets fd's options and connects it to sa.
func setupBlocking(fd int, sa unix.Sockaddr) error {
	if err := unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_NODELAY, 1); err != nil {
		return os.NewSyscallError("setsockopt TCP_NODELAY", err)
	}
	tv := unix.NsecToTimeval(requestTimeout.Nanoseconds())
	for _, opt := range []int{unix.SO_RCVTIMEO, unix.SO_SNDTIMEO} {
		if err := unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, opt, &tv); err != nil {
			return os.NewSyscallError("setsockopt timeout", err)
		}
	}
	for {
		err := unix.Connect(fd, sa)
		if err == unix.EINTR {
			continue
		}
		return os.NewSyscallError("connect", err)
	}
}

// blockingConn is a net.Conn over a blocking TCP socket. Deadlines are not supported:
// the socket's own timeouts bound every call.
type blockingConn struct {
	fd     int
	remote net.Addr
	once   sync.Once
}

// Read reads from the socket, blocking the calling thread.
func (c *blockingConn) Read(b []byte) (int, error) {
	for {
		n, err := unix.Read(c.fd, b)
		switch {
		case err == unix.EINTR:
			continue
		case errors.Is(err, unix.EAGAIN):
			return 0, os.ErrDeadlineExceeded
		case err != nil:
			return 0, os.NewSyscallError("read", err)
		case n == 0 && len(b) > 0:
			return 0, io.EOF
		}
		return n, nil
	}
}

// Write writes all of b to the socket, blocking the calling thread.
func (c *blockingConn) Write(b []byte) (int, error) {
	written := 0
	for written < len(b) {
		n, err := unix.Write(c.fd, b[written:])
		switch {
		case err == unix.EINTR:
			continue
		case errors.Is(err, unix.EAGAIN):
			return written, os.ErrDeadlineExceeded
		case err != nil:
			return written, os.NewSyscallError("write", err)
		}
		written += n
	}
	return written, nil
}

// Close closes the socket once.
func (c *blockingConn) Close() error {
	err := net.ErrClosed
	c.once.Do(func() { err = os.NewSyscallError("close", unix.Close(c.fd)) })
	return err
}

// LocalAddr is not tracked.
func (c *blockingConn) LocalAddr() net.Addr { return &net.TCPAddr{} }

// RemoteAddr is the address dialled.
func (c *blockingConn) RemoteAddr() net.Addr { return c.remote }

// SetDeadline is a no-op; see blockingConn.
func (c *blockingConn) SetDeadline(time.Time) error { return nil }

// SetReadDeadline is a no-op; see blockingConn.
func (c *blockingConn) SetReadDeadline(time.Time) error { return nil }

// SetWriteDeadline is a no-op; see blockingConn.
func (c *blockingConn) SetWriteDeadline(time.Time) error { return nil }
