// Package rawio gives a TCP connection reads and writes that enter the
// kernel by raw system calls, leaving out the Go runtime's bookkeeping
// around a system call.
//
// That bookkeeping costs a broker at light load: while no goroutine runs,
// the runtime's sysmon thread sleeps, and the next system call wakes it (a
// futex and a thread scheduled on another core), once per message at a few
// thousand messages a second. A socket read or write on a non-blocking
// socket never blocks, so it needs none of what entersyscall prepares for
// (handing the P to another thread while the call blocks); the readiness
// waits still go through the runtime's poller, so deadlines, Close and
// goroutine parking work as for any net.Conn.
package rawio

import (
	"net"
)

// Wrap returns nc with raw-syscall reads and writes where the platform and
// the connection allow it (a *net.TCPConn on Linux), and nc itself
// otherwise.
func Wrap(nc net.Conn) net.Conn { return wrap(nc) }

// TryWriter is a connection that can write without waiting: TryWrite sends
// what the socket's send buffer takes now and returns, with a nil error and
// n < len(p) when the buffer is full. It never waits for the peer, so a
// goroutine may write to another party's connection while it holds locks,
// which Write, waiting on a peer that does not read, must not do. Wrap's
// connections on Linux are TryWriters.
type TryWriter interface {
	TryWrite(p []byte) (n int, err error)
}
