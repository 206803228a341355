package network

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashi-broker/hashi/broker"
	"github.com/hashi-broker/hashi/broker/dest"
)

// fq is a link's outbound frame queue, drained by the link's writer in
// batches. take returns nil items after wait with nothing queued, which is
// when the writer sends a heart-beat.
//
// Unacknowledged forwards (QoS 0) are bounded here as an MQTT
// connection's queue bounds them (flow.go): past a high-water mark with
// the writer making progress the queue is congested and their publishers
// wait for the writer; past qos0Max, which only a stalled link reaches,
// they are dropped and counted.
type fq struct {
	mu     sync.Mutex
	items  []outFrame
	closed bool
	wake   chan struct{}

	hot       *atomic.Bool  // the bridge's flag, set while congested; nil in tests
	qos0      int           // unacknowledged forwards queued
	bytes0    int           // their payload bytes
	progress  int64         // unix nanos when the writer last took the queue (or it last became non-empty)
	congested chan struct{} // closed when the writer takes the queue
}

// outFrame is a pre-encoded control frame, or a message the writer encodes:
// a reliable forward, or a message that is not acknowledged (msg).
type outFrame struct {
	raw    []byte
	fwd    *forward
	msg    *broker.Message
	resent bool   // fwd was sent on an earlier link
	ack    uint64 // a plain acknowledgement of this sequence number (acks.go)
}

func newFQ(hot *atomic.Bool) *fq { return &fq{wake: make(chan struct{}, 1), hot: hot} }

func (q *fq) push(f outFrame) bool {
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return false
	}
	if len(q.items) == 0 {
		q.progress = time.Now().UnixNano()
	}
	if f.msg != nil {
		n := len(f.msg.Payload)
		if q.qos0 >= qos0Max || q.bytes0+n > qos0MaxBytes {
			q.mu.Unlock()
			return false
		}
		q.qos0++
		q.bytes0 += n
		if q.congested == nil && (q.qos0 > qos0High || q.bytes0 > qos0HighBytes) && !q.stalled() {
			q.congested = make(chan struct{})
			if q.hot != nil {
				q.hot.Store(true)
			}
		}
	}
	first := len(q.items) == 0
	q.items = append(q.items, f)
	q.mu.Unlock()
	if first {
		q.signal()
	}
	return true
}

// signal wakes the writer. Only a push onto an empty queue needs to: the
// writer takes everything queued, so a push behind others is taken with
// them after the wake-up the first one sent.
func (q *fq) signal() {
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

func (q *fq) take(buf []outFrame, wait time.Duration) ([]outFrame, bool) {
	var timer *time.Timer
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	for {
		q.mu.Lock()
		if len(q.items) > 0 {
			items := q.items
			q.items = buf[:0]
			q.qos0, q.bytes0 = 0, 0
			q.progress = time.Now().UnixNano()
			q.uncongest()
			q.mu.Unlock()
			return items, true
		}
		closed := q.closed
		q.mu.Unlock()
		if closed {
			return nil, false
		}
		if timer == nil {
			timer = time.NewTimer(wait)
		}
		select {
		case <-q.wake:
		case <-timer.C:
			return nil, true
		}
	}
}

// pushAll queues reliable forwards and acknowledgements (no msg, which
// counts toward the QoS 0 bound) with one lock and one wake-up.
func (q *fq) pushAll(fs []outFrame) {
	if len(fs) == 0 {
		return
	}
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return
	}
	first := len(q.items) == 0
	if first {
		q.progress = time.Now().UnixNano()
	}
	q.items = append(q.items, fs...)
	q.mu.Unlock()
	if first {
		q.signal()
	}
}

// congestion returns a channel closed when the writer takes the queue, or
// nil when the queue is not congested or the writer is stalled: a stalled
// link holds no publisher back, its excess is dropped instead.
func (q *fq) congestion() <-chan struct{} {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.congested == nil || q.stalled() {
		return nil
	}
	return q.congested
}

// stalled reports whether items have waited linkStall without the writer
// taking them. q.mu must be held.
func (q *fq) stalled() bool {
	return len(q.items) > 0 && time.Now().UnixNano()-q.progress > int64(linkStall)
}

// uncongest releases the publishers waiting for this queue. q.mu must be
// held.
func (q *fq) uncongest() {
	if q.congested != nil {
		close(q.congested)
		q.congested = nil
	}
}

func (q *fq) close() {
	q.mu.Lock()
	q.closed = true
	q.uncongest()
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// dedupe remembers the ids of the reliable messages last delivered from
// the peer, so that one sent again after a broken link (marked hashi-resent)
// is not delivered twice. Recording is on every forwarded message's path
// and costs a slot in a ring; the ring is indexed (a map built from it)
// only while resent messages arrive, which is right after a reconnect.
type dedupe struct {
	mu      sync.Mutex
	ring    []msgKey
	next    int
	index   map[msgKey]int // key → count in ring; nil outside resends
	indexed atomic.Bool    // index != nil, read without the lock
}

// msgKey identifies a forwarded message: its id and destination, since
// copies of one message in several queues (virtual topic fan-out,
// dead-letter copies) keep the original's id.
type msgKey struct {
	dest dest.Destination
	id   string
}

func keyOf(m *broker.Message) msgKey { return msgKey{m.Dest, m.KnownID()} }

func newDedupe(n int) *dedupe { return &dedupe{ring: make([]msgKey, n)} }

// has reports whether k is among the last delivered, indexing the ring for
// the resends that follow.
func (d *dedupe) has(k msgKey) bool {
	if k.id == "" {
		return false
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.index == nil {
		d.index = make(map[msgKey]int, len(d.ring))
		for _, r := range d.ring {
			if r.id != "" {
				d.index[r]++
			}
		}
		d.indexed.Store(true)
	}
	return d.index[k] > 0
}

// add records k as delivered, forgetting the oldest.
func (d *dedupe) add(k msgKey) {
	if k.id == "" {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	old := d.ring[d.next]
	d.ring[d.next] = k
	d.next = (d.next + 1) % len(d.ring)
	if d.index != nil {
		if old.id != "" {
			if d.index[old]--; d.index[old] <= 0 {
				delete(d.index, old)
			}
		}
		d.index[k]++
	}
}

// resendsOver drops the index once a message arrives that is not a resend:
// the peer sends what it resends first.
func (d *dedupe) resendsOver() {
	if !d.indexed.Load() {
		return // the common case: no resends were going on
	}
	d.mu.Lock()
	d.index = nil
	d.indexed.Store(false)
	d.mu.Unlock()
}
