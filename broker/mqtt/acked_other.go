//go:build !linux

package mqtt

import "syscall"

// bytesAcked is not known outside Linux: the stall rule goes by the
// writer's progress alone.
func bytesAcked(syscall.RawConn) (uint64, bool) { return 0, false }
