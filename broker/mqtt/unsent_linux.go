package mqtt

import (
	"syscall"

	"golang.org/x/sys/unix"
)

// sendQueued reads SIOCOUTQ: the bytes in the socket's send queue.
func sendQueued(rc syscall.RawConn) (int, bool) {
	n, ierr := 0, error(nil)
	if err := rc.Control(func(fd uintptr) { n, ierr = unix.IoctlGetInt(int(fd), unix.SIOCOUTQ) }); err != nil || ierr != nil {
		return 0, false
	}
	return n, true
}
