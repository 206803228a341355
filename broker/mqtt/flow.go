package mqtt

import (
	"time"

	"github.com/hashi-broker/hashi/broker"
)

// Flow control toward publishers (see broker/flow.go).
//
// QoS 0: a connection whose writer is draining its queue but falling behind
// (outq.go) makes QoS 0 publishers stop reading until the writer has taken
// the queue, at most qos0Stall per message; a writer that has not come back
// for more within qos0Stall counts as stalled and holds nobody back.
//
// QoS 1/2: a session
// that is connected and acknowledging but whose backlog passes the
// high-water mark reports itself congested; QoS 1/2 publishers then wait
// before their PUBACK until it is back under the low-water mark. An offline
// or stalled session (no acknowledgement for stallAfter) never does: it
// holds nobody back and drops beyond MaxQueued, counted.
const stallAfter = 2 * time.Second

// flowWait bounds how long one QoS 1/2 PUBLISH waits for a congested
// receiver before it is acknowledged anyway.
const flowWait = 5 * time.Second

const (
	// qos0Stall is how long a writer may take one batch before its
	// subscriber counts as stalled rather than slow.
	qos0Stall = 100 * time.Millisecond
	// ackStall is how long a blocked writer's subscriber may acknowledge
	// nothing before it counts as stalled: more than Linux's longest
	// delayed ACK (200 ms), which may carry a reader's window update.
	ackStall = 300 * time.Millisecond
	// qos0HighBytes is the QoS 0 payload that may wait for a draining
	// writer before publishers wait: a few milliseconds of loopback.
	qos0HighBytes = 4 << 20
)

func (s *session) highWater() int { return max(min(s.maxQueued/2, 10000), 1) }
func (s *session) lowWater() int  { return s.highWater() / 2 }

// Congested implements broker.Congestion: a QoS 0 message waits for the
// connection's queue, a QoS 1/2 one also for the session's backlog.
func (s *session) Congested(m *broker.Message) <-chan struct{} {
	if m.QoS == 0 && !s.hot.Load() {
		return nil // the common case, without locks
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.c != nil {
		if ch := s.c.out.congestion(); ch != nil {
			return ch
		}
	}
	s.hot.Store(false) // set again (under s.mu) when the queue congests
	if m.QoS == 0 {
		return nil
	}
	if s.congested != nil {
		return s.congested
	}
	if s.c == nil || s.pending.Len() < s.highWater() {
		return nil
	}
	if time.Since(time.Unix(0, s.lastAck)) > stallAfter {
		return nil // not draining: do not hold publishers back
	}
	s.congested = make(chan struct{})
	return s.congested
}

// uncongest releases waiting publishers once the backlog drained to the
// low-water mark, or at once when force is set (the session went offline or
// ended). s.mu must be held.
func (s *session) uncongest(force bool) {
	if s.congested != nil && (force || s.pending.Len() <= s.lowWater()) {
		close(s.congested)
		s.congested = nil
	}
}
