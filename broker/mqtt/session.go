package mqtt

import (
	"cmp"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashi-broker/hashi/broker"
	"github.com/hashi-broker/hashi/broker/fifo"
	"github.com/hashi-broker/hashi/broker/mqtt/packet"
)

// delivery is a QoS 1/2 message waiting in a session.
type delivery struct {
	msg    *broker.Message
	sub    *broker.Subscription
	qos    byte
	retain bool
	subIDs []uint32
}

// session is the server side of an MQTT session. It outlives connections
// when the client asked for a persistent session (clean session 0, or a
// session expiry interval in MQTT 5).
//
// Lock order: Server.mu, then session.mu, then outq.mu.
type session struct {
	srv *Server
	id  string // client identifier

	mu        sync.Mutex
	c         *conn // nil while offline
	version   byte
	expiry    time.Duration // how long the session outlives its connection; -1 forever
	subs      map[string]*broker.Subscription
	win       window              // in flight: sent, not yet acknowledged
	pending   fifo.FIFO[delivery] // QoS 1/2 waiting for the send quota or for the client
	congested chan struct{}       // non-nil while reliable publishers wait (flow.go)
	lastAck   int64               // unix nanos of the client's last PUBACK/PUBCOMP
	hot       atomic.Bool         // the connection's queue may be congested (flow.go)
	held      []uint16            // ids in flight from an earlier connection, not yet resent (quota)
	sending   []outItem           // fill's deliveries on their way to the connection
	inbound2  map[uint32]struct{} // QoS 2 packet ids received, PUBREL pending
	order     uint64
	sendQuota int // client's receive maximum
	maxQueued int
	will      *will
	willTimer *time.Timer
	expTimer  *time.Timer
	offlineAt time.Time
	ended     bool

	dropped atomic.Uint64
}

func newSession(srv *Server, id string) *session {
	return &session{
		srv:       srv,
		id:        id,
		maxQueued: srv.opts.MaxQueued,
	}
}

// Ready reports whether the session has a connection (shared subscriptions
// prefer connected members).
func (s *session) Ready() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.c != nil
}

// Deliver implements broker.Subscriber: one call per message with every
// matching subscription of this session. The message goes out once, with the
// highest granted QoS and all subscription identifiers [MQTT-3.3.4-2,
// MQTT-3.3.4-3].
func (s *session) Deliver(subs []*broker.Subscription, m *broker.Message) {
	d, ok := s.deliveryOf(subs, m)
	if !ok {
		return
	}
	s.mu.Lock()
	behind := s.deliverLocked(d)
	s.mu.Unlock()
	if behind {
		// This subscriber's writer is behind: let it run before the
		// publisher reads more (scheduling fairness, not a wait; further
		// behind, the publisher waits: flow.go).
		runtime.Gosched()
	}
}

// DeliverRun implements broker.RunSubscriber: the deliveries of the run that
// go out at once (QoS 0, and QoS 1/2 while the window has room) are queued
// on the connection with one lock and one writer start.
func (s *session) DeliverRun(subs []*broker.Subscription, ms []*broker.Message) {
	s.mu.Lock()
	var (
		behind bool
		items  []outItem
	)
	if s.c != nil && !s.ended {
		items = getItems()
	}
	flush := func() {
		if len(items) == 0 {
			return
		}
		n, b, hot := s.c.out.pushRun(items, items[0].sub.PendingLimit)
		if n > 0 {
			s.dropped.Add(uint64(n))
		}
		if hot {
			s.hot.Store(true)
		}
		behind = behind || b
		clear(items)
		items = items[:0]
	}
	for _, m := range ms {
		d, ok := s.deliveryOf(subs, m)
		if !ok {
			continue
		}
		switch {
		case items == nil:
		case d.qos == 0:
			items = append(items, outItem{msg: d.msg, sub: d.sub, retain: d.retain, subIDs: d.subIDs})
			continue
		case s.pending.Len() == 0 && s.win.n < s.sendQuota:
			items = append(items, s.putInFlight(d)) // as deliverLocked would send it
			continue
		}
		flush() // in order with what goes another way
		behind = s.deliverLocked(d) || behind
	}
	flush()
	if items != nil {
		putItems(items)
	}
	s.mu.Unlock()
	if behind {
		runtime.Gosched() // as in Deliver
	}
}

// deliveryOf is how m goes out to this session: once, with the highest
// granted QoS and all subscription identifiers [MQTT-3.3.4-2,
// MQTT-3.3.4-3]; ok is false when no subscription takes it.
func (s *session) deliveryOf(subs []*broker.Subscription, m *broker.Message) (d delivery, ok bool) {
	var (
		qos    byte
		retain bool
		ids    []uint32
		first  *broker.Subscription
	)
	for _, sub := range subs {
		if o := m.Origin; sub.NoLocal && o != nil && o.ClientID == s.id && o.Bridge == "" {
			continue // [MQTT-3.8.3-3]
		}
		if first == nil {
			first = sub
		}
		q := min(sub.QoS, m.QoS)
		qos = max(qos, q)
		if sub.RetainAsPublished {
			retain = m.Retain
		}
		if sub.SubID != 0 {
			ids = append(ids, sub.SubID)
		}
	}
	if first == nil {
		return delivery{}, false
	}
	return delivery{msg: m, sub: first, qos: qos, retain: retain, subIDs: ids}, true
}

// deliverLocked routes d: QoS 0 straight to the connection (or dropped when
// offline), QoS 1/2 into the in-flight window or the pending queue.
// s.mu must be held.
// It reports whether the connection's writer is falling behind.
func (s *session) deliverLocked(d delivery) (behind bool) {
	if s.ended {
		return false
	}
	if d.qos == 0 {
		if s.c == nil {
			s.drop(d, 1)
			return false
		}
		n, behind, hot := s.c.out.pushQoS0(outItem{msg: d.msg, sub: d.sub, retain: d.retain, subIDs: d.subIDs}, d.sub.PendingLimit)
		if n > 0 {
			s.dropped.Add(uint64(n))
		}
		if hot {
			s.hot.Store(true)
		}
		return behind
	}
	if s.c != nil && s.pending.Len() == 0 && s.win.n < s.sendQuota {
		s.sendLocked(d)
		return false
	}
	if s.pending.Len() >= s.maxQueued {
		s.drop(d, 1)
		s.srv.warnQueueFull(s, d.msg.Timestamp)
		return false
	}
	s.pending.Push(d)
	return false
}

func (s *session) drop(d delivery, n uint64) {
	s.dropped.Add(n)
	if d.sub != nil {
		d.sub.CountDropped(n)
	}
}

// sendLocked puts d in flight with a new packet id. s.mu must be held and s.c
// set.
func (s *session) sendLocked(d delivery) { s.c.out.push(s.putInFlight(d)) }

// putInFlight gives d a packet id in the window and returns what the
// connection sends for it. s.mu must be held.
func (s *session) putInFlight(d delivery) outItem {
	s.order++
	f := s.win.add(d, s.order)
	return outItem{msg: d.msg, sub: d.sub, qos: d.qos, pid: f.pid, retain: d.retain, subIDs: d.subIDs}
}

// fill resends held deliveries, then moves pending ones into the window,
// while the quota allows; expired pending ones are dropped. s.mu must be held.
func (s *session) fill() {
	if s.c == nil {
		return
	}
	for len(s.held) > 0 && s.win.n-len(s.held) < s.sendQuota {
		pid := s.held[0]
		s.held = s.held[1:]
		if f := s.win.get(pid); f != nil {
			s.resendLocked(f)
		}
	}
	if len(s.held) == 0 {
		s.held = nil
	}
	var now time.Time // read only for messages that can expire
	for s.pending.Len() > 0 && s.win.n < s.sendQuota {
		d := s.pending.Pop()
		if d.msg.Expiry != 0 && now.IsZero() {
			now = time.Now()
		}
		if d.msg.Expiry != 0 && d.msg.Expired(now) {
			s.drop(d, 1)
			continue
		}
		s.sending = append(s.sending, s.putInFlight(d))
	}
	// Queued on the connection at once: one lock of its queue for the lot.
	s.c.out.pushAll(s.sending)
	clear(s.sending)
	s.sending = s.sending[:0]
}

// acked handles PUBACK (QoS 1) or PUBCOMP (QoS 2). It reports whether pid was
// in flight.
func (s *session) acked(pid uint16, now time.Time) bool {
	return s.ackedAll([]uint16{pid}, now) > 0
}

// ackedAll handles a run of acknowledgements under one lock, refilling the
// window once at the end. It returns how many were in flight.
func (s *session) ackedAll(pids []uint16, now time.Time) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, pid := range pids {
		if f := s.win.get(pid); f != nil {
			s.removeLocked(f)
			n++
		}
	}
	if n > 0 {
		s.lastAck = now.UnixNano()
		s.fill()
		s.uncongest(false)
	}
	return n
}

// removeLocked takes f out of the window (and out of held, should the client
// acknowledge a delivery of an earlier connection before its resend).
func (s *session) removeLocked(f *inflight) {
	if len(s.held) > 0 {
		if i := slices.Index(s.held, f.pid); i >= 0 {
			s.held = slices.Delete(s.held, i, i+1)
		}
	}
	s.win.remove(f)
}

// pubrec handles PUBREC: the QoS 2 delivery moves to its second phase. It
// reports whether pid was in flight.
func (s *session) pubrec(pid uint16, failed bool) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := s.win.get(pid)
	if f == nil {
		return false
	}
	if failed {
		// A PUBREC with a failure reason ends the exchange [MQTT-4.3.3-?]:
		// the client refused the message.
		s.removeLocked(f)
		s.fill()
		return true
	}
	f.pubrec = true
	return true
}

// attach binds a connection to the session and resends what was in flight,
// in the original order (PUBLISH with DUP, or PUBREL) [MQTT-4.4.0-1]. The
// new connection's Receive Maximum bounds the PUBLISH resends
// [MQTT-3.3.4-9]: the rest are held, keeping their packet ids, and resent as
// acknowledgements free the window. s.mu must be held.
func (s *session) attachLocked(c *conn) {
	s.c = c
	s.sendQuota = c.sendQuota
	s.offlineAt = time.Time{}
	if s.expTimer != nil {
		s.expTimer.Stop()
		s.expTimer = nil
	}
	fs := make([]*inflight, 0, s.win.n)
	s.win.each(func(f *inflight) { fs = append(fs, f) })
	slices.SortFunc(fs, func(a, b *inflight) int { return cmp.Compare(a.order, b.order) })
	s.held = nil
	sent := 0
	for _, f := range fs {
		if !f.pubrec && sent >= s.sendQuota {
			s.held = append(s.held, f.pid)
			continue
		}
		s.resendLocked(f)
		sent++
	}
	s.fill()
}

// resendLocked sends an in-flight delivery again on the current connection:
// PUBLISH with DUP, or PUBREL once PUBREC was received. s.mu must be held.
func (s *session) resendLocked(f *inflight) {
	if f.pubrec {
		s.c.out.push(ackItem(packet.TypePubrel, f.pid, packet.Success))
		return
	}
	s.c.out.push(outItem{msg: f.msg, sub: f.sub, qos: f.qos, pid: f.pid, retain: f.retain, subIDs: f.subIDs, dup: true})
}

// counts returns in-flight and pending sizes, for the console.
func (s *session) counts() (inflight, pending int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.win.n, s.pending.Len()
}
