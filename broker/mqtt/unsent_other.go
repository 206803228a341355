//go:build !linux

package mqtt

import "syscall"

// sendQueued is not known outside Linux: the stall rule goes by the
// writer's progress alone.
func sendQueued(syscall.RawConn) (int, bool) { return 0, false }
