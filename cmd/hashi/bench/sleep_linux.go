package bench

import (
	"os"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// sleeper is a non-blocking timerfd read through the runtime's poller: the
// goroutine parks until the timer's expiry makes the fd readable. The read
// is a raw system call, as in broker/transport/rawio, so that waking does
// not also wake the runtime's sysmon thread on the other core just before
// the message is stamped and sent.
type sleeper struct {
	f      *os.File
	fd     int
	rc     syscall.RawConn
	buf    [8]byte
	readFn func(fd uintptr) bool
}

// newSleeper returns nil where no timerfd can be had; sleep then uses
// time.Sleep.
func newSleeper() *sleeper {
	fd, err := unix.TimerfdCreate(unix.CLOCK_MONOTONIC, unix.TFD_NONBLOCK|unix.TFD_CLOEXEC)
	if err != nil {
		return nil
	}
	s := &sleeper{f: os.NewFile(uintptr(fd), "timerfd"), fd: fd}
	if s.rc, err = s.f.SyscallConn(); err != nil {
		s.f.Close()
		return nil
	}
	s.readFn = func(fd uintptr) bool {
		_, _, e := unix.RawSyscall(unix.SYS_READ, fd, uintptr(unsafe.Pointer(&s.buf[0])), uintptr(len(s.buf)))
		return e != unix.EAGAIN && e != unix.EINTR
	}
	return s
}

// wait arms the timer for d and reads its expiry; false if that failed.
func (s *sleeper) wait(d time.Duration) bool {
	spec := unix.ItimerSpec{Value: unix.NsecToTimespec(int64(d))}
	if unix.TimerfdSettime(s.fd, 0, &spec, nil) != nil {
		return false
	}
	return s.rc.Read(s.readFn) == nil
}

func (s *sleeper) close() {
	if s != nil {
		s.f.Close()
	}
}
