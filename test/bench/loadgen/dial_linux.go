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
// thread instead of waits in the Go runtime's network poller. Deadlines hold through
// the socket's SO_RCVTIMEO and SO_SNDTIMEO, set to the time left before each call; a
// call without a deadline waits at most requestTimeout.
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

// blockingConn is a net.Conn over a blocking TCP socket. Read and Write are for one
// goroutine at a time; Close and Shutdown may come from another.
type blockingConn struct {
	fd     int
	remote net.Addr
	// readBy and writeBy are the deadlines; zero is none.
	readBy, writeBy time.Time

	// mu guards closed, so that Shutdown never reaches an fd number reused after Close.
	mu     sync.Mutex
	closed bool
}

// timeLeft sets the socket option opt to the time left before deadline, or fails
// once it has passed. A zero deadline leaves the option as it is.
func (c *blockingConn) timeLeft(opt int, deadline time.Time) error {
	if deadline.IsZero() {
		return nil
	}
	left := time.Until(deadline)
	if left <= 0 {
		return os.ErrDeadlineExceeded
	}
	// A zero timeval would mean no timeout at all.
	tv := unix.NsecToTimeval(max(left, time.Microsecond).Nanoseconds())
	return os.NewSyscallError("setsockopt timeout", unix.SetsockoptTimeval(c.fd,
		unix.SOL_SOCKET, opt, &tv))
}

// Read reads from the socket, blocking the calling thread.
func (c *blockingConn) Read(b []byte) (int, error) {
	for {
		if err := c.timeLeft(unix.SO_RCVTIMEO, c.readBy); err != nil {
			return 0, err
		}
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
		if err := c.timeLeft(unix.SO_SNDTIMEO, c.writeBy); err != nil {
			return written, err
		}
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
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return net.ErrClosed
	}
	c.closed = true
	return os.NewSyscallError("close", unix.Close(c.fd))
}

// Shutdown shuts the socket down both ways, which wakes a thread blocked in read(2)
// or write(2) on it (close(2) would not), unless it is closed already.
func (c *blockingConn) Shutdown() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return net.ErrClosed
	}
	return os.NewSyscallError("shutdown", unix.Shutdown(c.fd, unix.SHUT_RDWR))
}

// LocalAddr is not tracked.
func (c *blockingConn) LocalAddr() net.Addr { return &net.TCPAddr{} }

// RemoteAddr is the address dialled.
func (c *blockingConn) RemoteAddr() net.Addr { return c.remote }

// SetDeadline sets both deadlines, for the calls that follow.
func (c *blockingConn) SetDeadline(t time.Time) error {
	c.readBy, c.writeBy = t, t
	return nil
}

// SetReadDeadline sets the deadline of the reads that follow.
func (c *blockingConn) SetReadDeadline(t time.Time) error {
	c.readBy = t
	return nil
}

// SetWriteDeadline sets the deadline of the writes that follow.
func (c *blockingConn) SetWriteDeadline(t time.Time) error {
	c.writeBy = t
	return nil
}
