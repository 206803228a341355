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
	rc syscall.RawConn

	rmu    sync.Mutex // one Read at a time: the fields below are its state
	rbuf   []byte
	rn     int
	rerr   syscall.Errno
	readFn func(fd uintptr) bool

	wmu     sync.Mutex // one Write at a time
	wbuf    []byte
	wn      int
	werr    syscall.Errno
	writeFn func(fd uintptr) bool
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
	c := &conn{TCPConn: tc, rc: rc}
	c.readFn = c.read
	c.writeFn = c.write
	return c
}

// NetConn returns the connection underneath, as tls.Conn.NetConn does.
func (c *conn) NetConn() net.Conn { return c.TCPConn }

// read is readFn: one read(2); false asks RawConn.Read to wait for
// readability and call it again.
func (c *conn) read(fd uintptr) bool {
	for {
		n, e := sysRead(fd, c.rbuf)
		switch e {
		case 0:
			c.rn, c.rerr = n, 0
			return true
		case unix.EINTR:
			continue
		case unix.EAGAIN:
			return false
		default:
			c.rn, c.rerr = 0, e
			return true
		}
	}
}

// write is writeFn: write(2) until wbuf is sent; false waits for
// writability.
func (c *conn) write(fd uintptr) bool {
	for len(c.wbuf) > 0 {
		n, e := sysWrite(fd, c.wbuf)
		switch e {
		case 0:
			c.wn += n
			c.wbuf = c.wbuf[n:]
		case unix.EINTR:
		case unix.EAGAIN:
			return false
		default:
			c.werr = e
			return true
		}
	}
	return true
}

func (c *conn) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	c.rmu.Lock()
	c.rbuf = p
	err := c.rc.Read(c.readFn)
	n, errno := c.rn, c.rerr
	c.rbuf, c.rn, c.rerr = nil, 0, 0
	c.rmu.Unlock()
	if err := c.failure("read", err, errno); err != nil {
		return 0, err
	}
	if n == 0 {
		return 0, io.EOF
	}
	return n, nil
}

func (c *conn) Write(p []byte) (int, error) {
	c.wmu.Lock()
	c.wbuf = p
	err := c.rc.Write(c.writeFn)
	n, errno := c.wn, c.werr
	c.wbuf, c.wn, c.werr = nil, 0, 0
	c.wmu.Unlock()
	return n, c.failure("write", err, errno)
}

// WriteBuffers writes v with writev(2), through the runtime as usual: it
// carries large payloads, whose cost dwarfs the runtime's.
func (c *conn) WriteBuffers(v *net.Buffers) (int64, error) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
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
