package mqtt

import (
	"sync"

	"github.com/hashi-broker/hashi/broker"
	"github.com/hashi-broker/hashi/broker/mqtt/packet"
)

// outItem is one packet waiting for the connection's writer: a control packet
// built by the reader, or a message delivery encoded by the writer.
type outItem struct {
	ctl packet.Packet // non-nil for control packets

	msg    *broker.Message
	sub    *broker.Subscription // for drop accounting; nil for resends
	qos    byte
	pid    uint16
	retain bool
	dup    bool
	subIDs []uint32
}

// outq is a connection's bounded outbound queue, the one place where the
// slow-consumer policy for MQTT lives:
//   - QoS 0 deliveries beyond a subscription's pending limit evict the oldest
//     QoS 0 delivery waiting here, which is counted as dropped;
//   - QoS 1 and 2 deliveries never wait here beyond the session's send quota
//     (receive maximum): the rest waits in the session, bounded by
//     maxQueued, where overflow is dropped and counted;
//   - control packets (acks) are always queued; they are bounded by the
//     receive maximum the broker advertises.
//
// The writer takes everything queued at once and writes it with one syscall
// per batch, which is where most of Hashi's QoS 0 throughput comes from.
type outq struct {
	mu     sync.Mutex
	items  []outItem // items[head:] are queued
	head   int
	qos0   int
	closed bool
	wake   chan struct{}
}

func newOutq() *outq { return &outq{wake: make(chan struct{}, 1)} }

func (q *outq) signal() {
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// push queues a control packet or a QoS 1/2 delivery.
func (q *outq) push(it outItem) bool {
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return false
	}
	q.items = append(q.items, it)
	q.mu.Unlock()
	q.signal()
	return true
}

// pushQoS0 queues a QoS 0 delivery, evicting the oldest queued QoS 0 delivery
// when limit of them are already waiting. It returns the number dropped.
func (q *outq) pushQoS0(it outItem, limit int) (dropped int) {
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return 1
	}
	if limit > 0 && q.qos0 >= limit {
		dropped = q.evictOldestQoS0()
	}
	q.items = append(q.items, it)
	q.qos0++
	q.mu.Unlock()
	q.signal()
	return dropped
}

// take waits for queued items and returns them all; buf is reused for the
// next batch. It returns ok=false once the queue is closed and empty.
func (q *outq) take(buf []outItem) ([]outItem, bool) {
	for {
		q.mu.Lock()
		if len(q.items) > q.head {
			items := q.items[q.head:]
			q.items, q.head = buf[:0], 0
			q.qos0 = 0
			q.mu.Unlock()
			return items, true
		}
		closed := q.closed
		q.mu.Unlock()
		if closed {
			return nil, false
		}
		<-q.wake
	}
}

// close stops the queue; take drains what is left and then reports !ok.
func (q *outq) close() {
	q.mu.Lock()
	q.closed = true
	q.mu.Unlock()
	q.signal()
}

// Len is the number of queued items.
func (q *outq) Len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.items) - q.head
}

// evictOldestQoS0 removes the oldest queued QoS 0 delivery. Deliveries are
// mostly QoS 0 when this runs, so the scan stops within a few items.
// q.mu must be held.
func (q *outq) evictOldestQoS0() int {
	for j := q.head; j < len(q.items); j++ {
		old := q.items[j]
		if old.ctl != nil || old.qos != 0 || old.msg == nil {
			continue
		}
		if old.sub != nil {
			old.sub.CountDropped(1)
		}
		copy(q.items[q.head+1:j+1], q.items[q.head:j])
		q.items[q.head] = outItem{}
		q.head++
		q.qos0--
		if q.head > 1024 && q.head > len(q.items)/2 {
			n := copy(q.items, q.items[q.head:])
			clear(q.items[n:])
			q.items, q.head = q.items[:n], 0
		}
		return 1
	}
	return 0
}
