package network

import "github.com/hashi-broker/hashi/broker"

// Flow control toward reliable publishers (broker/flow.go): a bridge whose
// link is up but whose backlog of reliable messages passes highWater asks
// their publishers to wait until it is back under lowWater. A bridge whose
// link is down never does: its backlog waits out the outage up to
// maxPending and then drops, counted.
const (
	highWater = 20000
	lowWater  = highWater / 2
)

// Congested implements broker.Congestion for reliable messages; others are
// never held back by a bridge.
func (br *Bridge) Congested(m *broker.Message) <-chan struct{} {
	if !m.Persistent && m.QoS == 0 {
		return nil
	}
	br.mu.Lock()
	defer br.mu.Unlock()
	if br.congested != nil {
		return br.congested
	}
	if br.link == nil || !br.link.ready || br.pending.Len() < highWater {
		return nil
	}
	br.congested = make(chan struct{})
	return br.congested
}

// uncongest releases waiting publishers once the backlog is under lowWater,
// or at once when force is set. br.mu must be held.
func (br *Bridge) uncongest(force bool) {
	if br.congested != nil && (force || br.pending.Len() <= lowWater) {
		close(br.congested)
		br.congested = nil
	}
}
