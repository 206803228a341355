package rawio

import (
	"errors"
	"io"
	"net"
	"os"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"
)

// conn is a *net.TCPConn whose Read and Write are raw system calls run
// inside syscall.RawConn's Read and Write, which wait for readiness (and
// honour deadlines) through the runtime's poller.
type conn struct {
	*net.TCPConn
	r, w half
	try  func(fd uintptr) bool // tryWrite, bound once
}

// half is one direction of a conn: one call at a time, whose buffer and
// result the system-call function (fn, run by wait) reads and sets.
type half struct {
	mu    sync.Mutex
	buf   []byte
	n     int
	errno syscall.Errno
	fn    func(fd uintptr) bool
	wait  func(func(fd uintptr) bool) error // RawConn.Read or RawConn.Write
}

// do runs fn on p through wait and returns what it found.
func (h *half) do(fn func(fd uintptr) bool, p []byte) (int, syscall.Errno, error) {
	h.mu.Lock()
	h.buf = p
	err := h.wait(fn)
	n, errno := h.n, h.errno
	h.buf, h.n, h.errno = nil, 0, 0
	h.mu.Unlock()
	return n, errno, err
}

func wrap(nc net.Conn) net.Conn {
	tc, ok := nc.(*net.TCPConn)
	if !ok {
		return nc
	}
	rc, err := tc.SyscallConn()
	if err != nil {
		return nc
	}
	c := &conn{TCPConn: tc}
	c.r.fn, c.r.wait = c.read, rc.Read
	c.w.fn, c.w.wait = c.write, rc.Write
	c.try = c.tryWrite
	return c
}

// NetConn returns the connection underneath, as tls.Conn.NetConn does.
func (c *conn) NetConn() net.Conn { return c.TCPConn }

// read is r.fn: one read(2); false asks RawConn.Read to wait for
// readability and call it again.
func (c *conn) read(fd uintptr) bool {
	for {
		n, e := sysRead(fd, c.r.buf)
		switch e {
		case 0:
			c.r.n, c.r.errno = n, 0
			return true
		case unix.EINTR:
			continue
		case unix.EAGAIN:
			return false
		default:
			c.r.n, c.r.errno = 0, e
			return true
		}
	}
}

// write is w.fn: write(2) until w.buf is sent; false waits for
// writability.
func (c *conn) write(fd uintptr) bool {
	for len(c.w.buf) > 0 {
		n, e := sysWrite(fd, c.w.buf)
		switch e {
		case 0:
			c.w.n += n
			c.w.buf = c.w.buf[n:]
		case unix.EINTR:
		case unix.EAGAIN:
			return false
		default:
			c.w.errno = e
			return true
		}
	}
	return true
}

// tryWrite writes as write does, but never waits: what the socket did not
// take stays in w.buf.
func (c *conn) tryWrite(fd uintptr) bool {
	c.write(fd)
	return true
}

func (c *conn) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	n, errno, err := c.r.do(c.r.fn, p)
	if err := c.failure("read", err, errno); err != nil {
		return 0, err
	}
	if n == 0 {
		return 0, io.EOF
	}
	return n, nil
}

func (c *conn) Write(p []byte) (int, error) {
	n, errno, err := c.w.do(c.w.fn, p)
	return n, c.failure("write", err, errno)
}

// TryWrite implements TryWriter.
func (c *conn) TryWrite(p []byte) (int, error) {
	n, errno, err := c.w.do(c.try, p)
	return n, c.failure("write", err, errno)
}

// WriteBuffers writes v with writev(2), through the runtime as usual: it
// carries large payloads, whose cost dwarfs the runtime's.
func (c *conn) WriteBuffers(v *net.Buffers) (int64, error) {
	c.w.mu.Lock()
	defer c.w.mu.Unlock()
	return v.WriteTo(c.TCPConn)
}

// failure reports what went wrong in a Read or Write as net.Conn does, or
// nil: RawConn's own errors (closed, deadline) arrive as *net.OpError with
// Op "raw-read"/"raw-write", a failed system call as its errno.
func (c *conn) failure(op string, err error, errno syscall.Errno) error {
	switch {
	case err != nil:
		var oe *net.OpError
		if errors.As(err, &oe) {
			err = oe.Err
		}
	case errno != 0:
		err = os.NewSyscallError(op, errno)
	default:
		return nil
	}
	return &net.OpError{Op: op, Net: "tcp", Source: c.LocalAddr(), Addr: c.RemoteAddr(), Err: err}
}
