//go:build linux

package loadgen

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// dialBlocking connects to addr by ctx (the Go runtime's dialer, so the connect itself
// obeys ctx and its deadline) and returns the connection as a socket in blocking mode:
// reads and writes are plain read(2) and write(2) on the calling thread instead of
// waits in the Go runtime's network poller. Deadlines hold through the socket's
// SO_RCVTIMEO and SO_SNDTIMEO, set to the time left before each call.
func dialBlocking(ctx context.Context, addr string) (net.Conn, error) {
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	tcp, ok := c.(*net.TCPConn)
	if !ok {
		_ = c.Close()
		return nil, fmt.Errorf("dialling %s gave a %T, not a TCP connection", addr, c)
	}
	// File returns a duplicate descriptor; Fd puts it in blocking mode. The file keeps
	// the descriptor open (its finalizer would close it), so the conn holds it.
	remote := tcp.RemoteAddr()
	f, err := tcp.File()
	_ = tcp.Close()
	if err != nil {
		return nil, fmt.Errorf("taking over the socket to %s: %w", addr, err)
	}
	return &blockingConn{file: f, fd: int(f.Fd()), remote: remote}, nil
}

// blockingConn is a net.Conn over a blocking TCP socket. Read and Write are for one
// goroutine at a time; Close and Shutdown may come from another.
type blockingConn struct {
	file   *os.File
	fd     int
	remote net.Addr
	// readBy and writeBy are the deadlines; zero is none.
	readBy, writeBy time.Time

	// mu guards closed and shut: Shutdown never reaches a descriptor number reused
	// after Close, and a read that shutdown(2) ended is an error, not the peer's EOF.
	mu     sync.Mutex
	closed bool
	shut   bool
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

// errShutDown: the open loop shut the socket down to stop a lane.
var errShutDown = errors.New("the open loop stopped the connection")

// wasShutDown reports whether Shutdown ran.
func (c *blockingConn) wasShutDown() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.shut
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
			if c.wasShutDown() {
				return 0, errShutDown
			}
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

// idleUnusable reports whether a connection left idle can no longer carry a request:
// the peer closed it, or sent something unasked (a TLS close_notify before closing).
func (c *blockingConn) idleUnusable() bool {
	var b [1]byte
	n, _, err := unix.Recvfrom(c.fd, b[:], unix.MSG_PEEK|unix.MSG_DONTWAIT)
	return err == nil || n > 0 || !errors.Is(err, unix.EAGAIN)
}

// Close closes the socket once.
func (c *blockingConn) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return net.ErrClosed
	}
	c.closed = true
	return c.file.Close()
}

// Shutdown shuts the socket down both ways, which wakes a thread blocked in read(2)
// or write(2) on it (close(2) would not), unless it is closed already.
func (c *blockingConn) Shutdown() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return net.ErrClosed
	}
	c.shut = true
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
