package network

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/hashi-broker/hashi/broker"
	"github.com/hashi-broker/hashi/broker/dest"
	"github.com/hashi-broker/hashi/broker/fifo"
)

// State of a bridge.
type State string

const (
	Connecting State = "connecting"
	Up         State = "up"
	BackingOff State = "backing off"
	Stopped    State = "stopped"
)

// maxPending bounds the reliable messages a bridge keeps for its peer while
// the link is down or its window is full; beyond it they are dropped and
// counted.
const maxPending = 100000

// forward is one message on its way to the peer. Reliable forwards (QoS
// 1/2, persistent, queue messages) carry a sequence number and wait for the
// peer's acknowledgement; the others are sent and forgotten.
type forward struct {
	m    *broker.Message
	seq  uint64
	sync bool // retained value replayed at link start

	cons        *broker.Consumer // queue forwards: acknowledge here once the peer has it
	tag         uint64
	redelivered bool // a queue message back from an earlier attempt: maybe the peer has it
	sentBefore  bool // sent on an earlier link: maybe the peer has it
}

// Bridge is one network bridge: the demand its peer announced, the messages
// on their way, and the current link (nil while disconnected). It outlives
// links, so the peer's demand and its reliable messages survive an outage
// for the demand grace period.
type Bridge struct {
	m         *Manager
	b         *broker.Broker
	log       hclog.Logger
	name      string      // connector name
	key       string      // unique: connector name, or name@remote for responders
	duplex    atomic.Bool // this end both forwards and announces (a responder's follows its initiator)
	responder bool        // created by an accepted duplex connection
	rules     rules
	grace     time.Duration

	attachMu  sync.Mutex // serializes links taking over the bridge (before mu)
	mu        sync.Mutex
	link      *link
	state     State
	since     time.Time
	lastErr   string
	remote    peerInfo
	addr      string
	seq       uint64
	inflight  window
	sends     []outFrame // pump's scratch
	runSends  []outFrame // DeliverRun's scratch
	pending   fifo.FIFO[*forward]
	congested chan struct{} // non-nil while reliable publishers wait (flow.go)
	demand    map[string]*remoteDemand
	graceTmr  *time.Timer
	rtt       time.Duration
	watchStop func()
	retStop   func()

	out, in, dropped, denied atomic.Uint64
	hot                      atomic.Bool // the link's queue is congested with QoS 0 forwards (flow.go)
	backlog                  atomic.Bool // pending may be at highWater, or publishers wait (flow.go)
	dedupe                   *dedupe
}

type peerInfo struct {
	name, id string
	maxFrame int // the largest frame the peer reads; 0 = no limit
}

func newBridge(m *Manager, name, key string, r rules, duplex, responder bool, grace time.Duration) *Bridge {
	if grace <= 0 {
		grace = 60 * time.Second
	}
	br := &Bridge{
		m: m, b: m.b, name: name, key: key, rules: r, responder: responder, grace: grace,
		state: Connecting, since: time.Now(),
		demand: make(map[string]*remoteDemand),
		dedupe: newDedupe(32768), // far more than a window
	}
	br.duplex.Store(duplex)
	br.log = m.log.With("bridge", key)
	return br
}

// forwards reports whether this end sends messages to the peer: the
// initiator always, the responder of a duplex link too.
func (br *Bridge) forwards() bool { return !br.responder || br.duplex.Load() }

// announces reports whether this end tells the peer about its consumers: the
// responder always, the initiator of a duplex link too.
func (br *Bridge) announces() bool { return br.responder || br.duplex.Load() }

func (br *Bridge) setState(s State, err string) {
	br.mu.Lock()
	changed := br.state != s
	br.state, br.lastErr = s, err
	if changed {
		br.since = time.Now()
	}
	remote := br.remote.name
	br.mu.Unlock()
	if !changed {
		return
	}
	args := []any{"state", string(s), "remote", remote}
	if err != "" {
		args = append(args, "error", err)
	}
	if s == Up {
		br.log.Info("network bridge up", args...)
	} else {
		br.log.Warn("network bridge state", args...)
	}
}

// Deliver implements broker.Subscriber for topic demand: a message matching
// the peer's demand is forwarded unless it would loop or exceed messageTTL.
// Retained publishes travel through the retained watcher instead.
func (br *Bridge) Deliver(_ []*broker.Subscription, m *broker.Message) {
	if m.Retain {
		return
	}
	// The demand's pattern was permitted, but a wildcard one also covers
	// concrete destinations the lists exclude.
	br.mu.Lock()
	defer br.mu.Unlock()
	if !br.rules.permitted(m.Dest) || !br.rules.forwardable(m, br.remote.id) {
		return
	}
	if m.QoS == 0 && !m.Persistent {
		br.sendUnreliableLocked(m) // the common case, without a forward
		return
	}
	br.enqueueLocked(&forward{m: m})
}

// DeliverRun implements broker.RunSubscriber: a publisher's run of
// messages to one topic is forwarded under one lock of the bridge, and
// what goes straight into the window is queued on the link at once (one
// wake-up of its writer), in order with the QoS 0 ones between.
func (br *Bridge) DeliverRun(_ []*broker.Subscription, ms []*broker.Message) {
	br.mu.Lock()
	defer br.mu.Unlock()
	sends := br.runSends[:0]
	flush := func() {
		if len(sends) > 0 {
			br.link.out.pushAll(sends)
			clear(sends)
			sends = sends[:0]
		}
	}
	for _, m := range ms {
		if m.Retain || !br.rules.permitted(m.Dest) || !br.rules.forwardable(m, br.remote.id) {
			continue
		}
		switch {
		case m.QoS == 0 && !m.Persistent:
			flush()
			br.sendUnreliableLocked(m)
		case br.link != nil && br.link.ready && br.pending.Len() == 0 && br.inflight.len() < br.rules.prefetch:
			sends = append(sends, br.sendLocked(&forward{m: m}))
		default:
			br.enqueueLocked(&forward{m: m}) // kept (or dropped) behind the window
		}
	}
	flush()
	br.runSends = sends
}

// current returns the bridge's rules and its peer's id. A responder's rules
// are replaced when its initiator reconnects (perhaps reconfigured), so
// code outside br.mu reads them through here.
func (br *Bridge) current() (rules, string) {
	br.mu.Lock()
	defer br.mu.Unlock()
	return br.rules, br.remote.id
}

// reliable says whether a forward waits for the peer's acknowledgement.
func reliable(f *forward) bool {
	return f.cons != nil || f.sync || f.m.Retain || f.m.QoS > 0 || f.m.Persistent
}

// enqueue sends f now when the link is up and the window has room, else
// keeps it (reliable ones, within maxPending) or drops it (counted).
func (br *Bridge) enqueue(f *forward) {
	br.mu.Lock()
	defer br.mu.Unlock()
	br.enqueueLocked(f)
}

// enqueueLocked is enqueue with br.mu held.
func (br *Bridge) enqueueLocked(f *forward) {
	if !reliable(f) {
		br.sendUnreliableLocked(f.m)
		return
	}
	if br.link != nil && br.link.ready && br.pending.Len() == 0 && br.inflight.len() < br.rules.prefetch {
		br.link.out.push(br.sendLocked(f))
		return
	}
	// Queue forwards are bounded by the bridge consumer's prefetch; never
	// call back into the queue here (its lock is held).
	if f.cons == nil && br.pending.Len() >= maxPending {
		br.dropped.Add(1)
		return
	}
	br.pending.Push(f)
	br.noteBacklogLocked()
}

// sendUnreliableLocked sends a message that is not acknowledged (QoS 0,
// non-persistent): now, or never when there is no link or the link's
// queue is full (counted as dropped). br.mu must be held.
func (br *Bridge) sendUnreliableLocked(m *broker.Message) {
	if br.link == nil || !br.link.ready || !br.link.out.push(outFrame{msg: m}) {
		br.dropped.Add(1)
		return
	}
	br.out.Add(1)
}

// sendLocked puts a reliable forward in flight and returns what the
// caller queues on the link. br.mu must be held.
func (br *Bridge) sendLocked(f *forward) outFrame {
	if f.seq == 0 {
		br.seq++
		f.seq = br.seq
	}
	resent := f.sentBefore || f.redelivered
	f.sentBefore = true
	br.inflight.add(f)
	br.out.Add(1)
	return outFrame{fwd: f, resent: resent}
}

// pump moves pending forwards into the window and returns the expired ones,
// which the caller settles after unlocking (queue locks come before br.mu).
// br.mu must be held.
func (br *Bridge) pump() (expired []*forward) {
	if br.link == nil || !br.link.ready {
		return nil
	}
	defer br.uncongest(false)
	var now time.Time
	// What moves into the window is queued on the link at once: one lock
	// and one wake-up of the writer for the lot.
	sends := br.sends[:0]
	defer func() {
		br.link.out.pushAll(sends)
		clear(sends)
		br.sends = sends[:0]
	}()
	for br.pending.Len() > 0 && br.inflight.len() < br.rules.prefetch {
		f := br.pending.Pop()
		if f.m.Expiry != 0 && now.IsZero() {
			now = time.Now()
		}
		if f.m.Expiry != 0 && f.m.Expired(now) {
			br.dropped.Add(1)
			expired = append(expired, f)
			continue
		}
		sends = append(sends, br.sendLocked(f))
	}
	return expired
}

// settleExpired acknowledges expired queue forwards (an expired message is
// consumed, as ActiveMQ's expiry does). Call without br.mu.
func settleExpired(fs []*forward) {
	for _, f := range fs {
		if f.cons != nil {
			f.cons.Ack(f.tag)
		}
	}
}

// acked handles the peer's acknowledgement of reliable forwards. denied
// means the peer refused them (its authorization for the bridge user).
func (br *Bridge) acked(seqs []uint64, denied string) {
	if len(seqs) == 0 {
		return
	}
	var done []*forward
	br.mu.Lock()
	for _, seq := range seqs {
		// A topic forward acknowledged as delivered needs nothing more
		// (settle), so the common case allocates nothing here.
		if f := br.inflight.remove(seq); f != nil && (f.cons != nil || denied != "") {
			done = append(done, f)
		}
	}
	expired := br.pump()
	br.mu.Unlock()
	settleExpired(expired)
	for _, f := range done {
		br.settle(f, denied)
	}
}

// settle finishes an acknowledged forward: a queue message is consumed (or
// given back when refused), and a refusal stops forwarding its destination.
func (br *Bridge) settle(f *forward, denied string) {
	if denied != "" {
		br.denied.Add(1)
		br.m.warnOnce(br.key+"|denied|"+f.m.Dest.String(), "peer refused a forwarded message; this destination is skipped",
			"bridge", br.key, "destination", f.m.Dest.String(), "reason", denied)
		br.dropDemandFor(f.m.Dest)
	}
	if f.cons != nil {
		if denied != "" {
			f.cons.Nack(f.tag)
		} else {
			f.cons.Ack(f.tag)
		}
	}
}

// linkDown is called when the link ends: reliable topic forwards in flight go
// back to the front of the pending list (they are resent, the peer drops
// duplicates by message id); queue demand ends at once, returning its
// messages to their queues; topic demand is held for the grace period.
// It reports whether l was the bridge's current link.
func (br *Bridge) linkDown(l *link) bool {
	br.mu.Lock()
	if br.link != l {
		br.mu.Unlock()
		return false
	}
	br.link = nil
	br.uncongest(true)
	var back []*forward
	for _, f := range br.inflight.drain() { // in sequence order
		if f.cons == nil {
			back = append(back, f)
		}
	}
	for _, f := range br.pending.Drain() {
		if f.cons == nil {
			back = append(back, f)
		}
	}
	for _, f := range back {
		br.pending.Push(f)
	}
	br.noteBacklogLocked()
	var queues []*broker.Consumer
	for k, rd := range br.demand {
		if rd.cons != nil {
			queues = append(queues, rd.cons)
			delete(br.demand, k)
		}
	}
	if br.watchStop != nil {
		br.watchStop()
		br.watchStop = nil
	}
	if br.retStop != nil {
		br.retStop()
		br.retStop = nil
	}
	if len(br.demand) > 0 {
		br.graceTmr = time.AfterFunc(br.grace, br.graceExpired)
	}
	br.mu.Unlock()
	for _, c := range queues {
		br.b.StopConsume(c)
	}
	return true
}

// graceExpired drops the peer's demand and what waited for it when the link
// did not come back in time.
func (br *Bridge) graceExpired() {
	br.dropPeerState("peer demand expired after the grace period; dropped what waited for it")
}

// dropPeerState forgets the peer's demand and the messages pending for it,
// unless a link is up, and logs msg (if any) when there was something to
// drop.
func (br *Bridge) dropPeerState(msg string) {
	br.mu.Lock()
	if br.link != nil {
		br.mu.Unlock()
		return
	}
	if br.graceTmr != nil {
		br.graceTmr.Stop()
		br.graceTmr = nil
	}
	subs := br.clearDemandLocked()
	n := len(br.pending.Drain())
	br.dropped.Add(uint64(n))
	br.mu.Unlock()
	for _, s := range subs {
		br.b.Unsubscribe(s)
	}
	if msg != "" && (n > 0 || len(subs) > 0) {
		br.log.Warn(msg, "demand", len(subs), "messages", n, "grace", br.grace)
	}
}

// Info is what the admin API shows about a bridge.
type Info struct {
	Name            string        `json:"name"`
	Connector       string        `json:"connector"`
	RemoteBroker    string        `json:"remoteBroker"`
	RemoteBrokerID  string        `json:"remoteBrokerId"`
	RemoteAddress   string        `json:"remoteAddress"`
	CreatedByDuplex bool          `json:"createdByDuplex"`
	Duplex          bool          `json:"duplex"`
	State           State         `json:"state"`
	Since           time.Time     `json:"since"`
	Forwarded       uint64        `json:"messagesForwarded"`
	Received        uint64        `json:"messagesReceived"`
	Dropped         uint64        `json:"messagesDropped"`
	Denied          uint64        `json:"messagesDenied"`
	Pending         int           `json:"pending"`
	Inflight        int           `json:"inflight"`
	Demand          int           `json:"remoteDemand"`
	RTT             time.Duration `json:"rttNanos"`
	RTTText         string        `json:"rtt"`
	LastError       string        `json:"lastError,omitempty"`
}

// Info returns the bridge's current figures.
func (br *Bridge) Info() Info {
	br.mu.Lock()
	defer br.mu.Unlock()
	in := Info{
		Name: br.key, Connector: br.name, RemoteBroker: br.remote.name, RemoteBrokerID: br.remote.id,
		RemoteAddress: br.addr, CreatedByDuplex: br.responder && br.duplex.Load(), Duplex: br.duplex.Load(), State: br.state,
		Since: br.since, Forwarded: br.out.Load(), Received: br.in.Load(), Dropped: br.dropped.Load(),
		Denied: br.denied.Load(), Pending: br.pending.Len(), Inflight: br.inflight.len(), Demand: br.liveDemandLocked(),
		RTT: br.rtt, LastError: br.lastErr,
	}
	if br.rtt > 0 {
		in.RTTText = br.rtt.Round(10 * time.Microsecond).String()
	}
	return in
}

// liveDemandLocked counts the peer's demand that is subscribed (a demand is
// recorded just before its subscription exists). br.mu must be held.
func (br *Bridge) liveDemandLocked() int {
	n := 0
	for _, rd := range br.demand {
		if rd.live {
			n++
		}
	}
	return n
}

var (
	_ broker.Subscriber    = (*Bridge)(nil)
	_ broker.RunSubscriber = (*Bridge)(nil)
)

// queueSide adapts a bridge to broker.QueueSubscriber for one queue demand.
type queueSide struct{ br *Bridge }

func (q queueSide) DeliverQueue(c *broker.Consumer, d broker.Delivery) {
	m := d.Msg
	q.br.enqueue(&forward{m: m, cons: c, tag: d.Tag, redelivered: d.Redelivered})
}

// destKey renders a demand key.
func destKey(d dest.Destination) string { return d.String() }
