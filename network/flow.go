package network

import (
	"time"

	"github.com/hashi-broker/hashi/broker"
)

// Flow control toward reliable publishers (broker/flow.go): a bridge whose
// link is up but whose backlog of reliable messages passes highWater asks
// their publishers to wait until it is back under lowWater. A bridge whose
// link is down never does: its backlog waits out the outage up to
// maxPending and then drops, counted.
const (
	highWater = 20000
	lowWater  = highWater / 2
)

// QoS 0 flow control, as for an MQTT subscriber's connection
// (broker/mqtt/flow.go): a link whose writer is taking its queue but holds
// more than qos0High unacknowledged forwards or qos0HighBytes of their
// payload makes their publishers wait until the writer has taken it (each
// message at most the MQTT layer's 100 ms). The receiving end waits the
// same way, at most qos0Wait per message, for its local subscribers before
// it reads on, so a slow subscriber behind a bridge slows the far
// publisher through TCP instead of losing what was carried.
//
// A link writer that has taken nothing for linkStall holds nobody back;
// past qos0Max forwards or qos0MaxBytes the newest are dropped and
// counted. linkStall is longer than an MQTT subscriber's 100 ms: the
// peer's reader may itself be waiting for a subscriber of its own, and at
// a million messages a second qos0Max is only a tenth of a second of
// traffic, so a short pause on the far side must not count as a stall.
const (
	qos0Wait      = 100 * time.Millisecond
	linkStall     = time.Second
	qos0High      = 5000
	qos0HighBytes = 4 << 20
	qos0Max       = 100000
	qos0MaxBytes  = 64 << 20
)

// Congested implements broker.Congestion: reliable messages wait for the
// bridge's backlog, the others for the link's queue.
func (br *Bridge) Congested(m *broker.Message) <-chan struct{} {
	if !m.Persistent && m.QoS == 0 {
		if !br.hot.Load() {
			return nil // the common case, without locks
		}
		br.mu.Lock()
		l := br.link
		br.mu.Unlock()
		if l != nil {
			if ch := l.out.congestion(); ch != nil {
				return ch
			}
		}
		br.hot.Store(false) // set again by the queue when it congests
		return nil
	}
	if !br.backlog.Load() {
		return nil // the common case: a short backlog, checked without br.mu
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
	br.noteBacklogLocked()
}

// noteBacklogLocked keeps br.backlog, which lets Congested answer most
// reliable messages without br.mu: it is set while the backlog is at
// highWater or publishers wait, and it is updated wherever either
// changes. br.mu must be held.
func (br *Bridge) noteBacklogLocked() {
	if v := br.congested != nil || br.pending.Len() >= highWater; v != br.backlog.Load() {
		br.backlog.Store(v)
	}
}
