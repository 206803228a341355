//go:build linux && race

package rawio

import "syscall"

// Under the race detector the calls go through package syscall, whose Read
// and Write tell the detector that bytes written to a socket were written
// before they are read: without that, a test whose client and server share
// the process would see races between what the server did before writing
// and what the client does after reading.

func sysRead(fd uintptr, p []byte) (int, syscall.Errno) {
	n, err := syscall.Read(int(fd), p)
	if err != nil {
		return 0, err.(syscall.Errno)
	}
	return n, 0
}

func sysWrite(fd uintptr, p []byte) (int, syscall.Errno) {
	n, err := syscall.Write(int(fd), p)
	if err != nil {
		return 0, err.(syscall.Errno)
	}
	return n, 0
}
