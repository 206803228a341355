package mqtt

import (
	"net"
	"syscall"
)

// ackedProbe returns a function reporting how many bytes the peer has
// acknowledged on nc's TCP connection so far, or nil where that cannot be
// known (not a socket underneath, or not Linux). It lets the stall rule
// (outq.stalled) tell a subscriber that reads slowly from one that
// stopped: a writer blocked on a full send buffer is woken only once much
// of the buffer is free again, which at a few MB/s takes hundreds of
// milliseconds while the subscriber reads all along, and a peer that
// reads makes room, so the count grows.
func ackedProbe(nc net.Conn) func() (uint64, bool) {
	for range 4 {
		if sc, ok := nc.(syscall.Conn); ok {
			rc, err := sc.SyscallConn()
			if err != nil {
				return nil
			}
			return func() (uint64, bool) { return bytesAcked(rc) }
		}
		u, ok := nc.(interface{ NetConn() net.Conn })
		if !ok {
			return nil
		}
		nc = u.NetConn()
	}
	return nil
}
