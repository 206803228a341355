package mqtt

import "time"

// Flow control toward reliable publishers (see broker/flow.go): a session
// that is connected and acknowledging but whose backlog passes the
// high-water mark reports itself congested; QoS 1/2 publishers then wait
// before their PUBACK until it is back under the low-water mark. An offline
// or stalled session (no acknowledgement for stallAfter) never does: it
// holds nobody back and drops beyond MaxQueued, counted.
const stallAfter = 2 * time.Second

// flowWait bounds how long one QoS 1/2 PUBLISH waits for a congested
// receiver before it is acknowledged anyway.
const flowWait = 5 * time.Second

func (s *session) highWater() int { return max(min(s.maxQueued/2, 10000), 1) }
func (s *session) lowWater() int  { return s.highWater() / 2 }

// Congested implements broker.Congestion.
func (s *session) Congested() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
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
