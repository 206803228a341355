package mqtt

import (
	"syscall"

	"golang.org/x/sys/unix"
)

// bytesAcked reads tcpi_bytes_acked from TCP_INFO (Linux 4.1 and later).
func bytesAcked(rc syscall.RawConn) (uint64, bool) {
	var (
		info *unix.TCPInfo
		ierr error
	)
	if err := rc.Control(func(fd uintptr) { info, ierr = unix.GetsockoptTCPInfo(int(fd), unix.IPPROTO_TCP, unix.TCP_INFO) }); err != nil || ierr != nil {
		return 0, false
	}
	return info.Bytes_acked, true
}
