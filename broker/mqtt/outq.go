package mqtt

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashi-broker/hashi/broker"
	"github.com/hashi-broker/hashi/broker/mqtt/packet"
)

// outItem is one packet waiting for the connection's writer: an
// acknowledgement or another control packet built by the reader, or a
// message delivery encoded by the writer.
type outItem struct {
	ctl packet.Packet // non-nil for control packets other than acknowledgements

	// ack, when not 0, is the PUBACK, PUBREC, PUBREL or PUBCOMP for pid,
	// with code: one per QoS 1/2 message, so it is not a packet.Packet,
	// which would be an allocation each.
	ack  packet.Type
	code packet.ReasonCode

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
//   - QoS 0 deliveries to a subscriber that is draining but falling behind
//     (its writer is writing, yet more than half of the pending limit
//     or qos0HighBytes wait here) make their publishers wait until the
//     writer takes the queue (congestion, see flow.go): the publisher slows
//     to what the subscriber reads, and nothing is read only to be dropped;
//   - QoS 0 deliveries beyond a subscription's pending limit, which only a
//     stalled subscriber reaches, evict the oldest QoS 0 delivery waiting
//     here, which is counted as dropped;
//   - QoS 1 and 2 deliveries never wait here beyond the session's send quota
//     (receive maximum): the rest waits in the session, bounded by
//     maxQueued, where overflow is dropped and counted;
//   - control packets (acks) are always queued; they are bounded by the
//     receive maximum the broker advertises.
//
// The writer takes everything queued at once and writes it with one syscall
// per batch, which is where most of Hashi's QoS 0 throughput comes from. It
// runs only while there is something to write: an idle connection holds no
// writer goroutine and no write buffer, which keeps ten thousand idle
// devices cheap.
type outq struct {
	mu      sync.Mutex
	items   []outItem // items[head:] are queued
	head    int
	qos0    int // QoS 0 deliveries queued
	bytes0  int // their payload bytes
	closed  bool
	running bool   // a writer goroutine is draining the queue
	held    bool   // no writer until release: CONNACK goes first [MQTT-3.2.0-1]
	start   func() // starts a writer goroutine
	// startInline writes on the caller's goroutine what it can without
	// waiting, and leaves the rest to a writer goroutine (writeInline); nil
	// where the connection cannot write without waiting.
	startInline func()

	progress  int64         // unix nanos when the writer last took the queue, finished a write, or started
	congested chan struct{} // closed when the writer takes the queue

	// The stall rule's look at the socket (stalled): nil where the
	// bytes the peer acknowledged cannot be read.
	acked     func() (uint64, bool)
	lastAcked uint64 // what the last look found
	ackedAt   int64  // unix nanos of the look that first found lastAcked
	looked    bool   // lastAcked is from a look since the last progress
	probedAt  int64  // unix nanos of the last look
	stuck     bool   // what the last look found
}

// ackItem is the acknowledgement t of packet pid with code.
func ackItem(t packet.Type, pid uint16, code packet.ReasonCode) outItem {
	return outItem{ack: t, pid: pid, code: code}
}

func newOutq(start func()) *outq { return &outq{start: start, held: true} }

// kick starts a writer if none runs. q.mu must be held; the caller calls
// the returned function (if any) after unlocking.
//
// A lone packet for a queue whose writer was quiet for quietGap is written
// on the caller's goroutine (startInline), within a budget: a writer
// goroutine started for one packet costs a light-load delivery more than
// its write, but one started while the last has just finished is how
// batches form under load, and writer goroutines spread a large fan-out
// over the cores.
func (q *outq) kick() func() {
	if q.running || q.held {
		return nil
	}
	q.running = true
	now := time.Now().UnixNano()
	quiet := now-q.progress > int64(quietGap)
	q.madeProgress(now)
	if quiet && len(q.items)-q.head == 1 && q.startInline != nil && !q.closed && inlineWrites.allow(now) {
		return q.startInline
	}
	return q.start
}

// quietGap is how long a queue's writer must have been idle for the next
// packet to be written on the goroutine that queues it: a tenth of the gap
// between messages at 1,000 a second.
const quietGap = 100 * time.Microsecond

// inlineWrites bounds the writes made on queueing goroutines (startInline) over
// the whole process to maxInlineWrites per window of about a millisecond: a
// message to thousands of quiet subscribers leaves most of them to writer
// goroutines, which spread the writes over the cores.
var inlineWrites budget

const maxInlineWrites = 64

// budget counts uses per window of 2^20 ns. Windows are reset racily: two
// goroutines may both start a new one, which lets a few more uses through.
type budget struct {
	window atomic.Int64
	used   atomic.Int32
}

func (b *budget) allow(now int64) bool {
	if w := now >> 20; b.window.Load() != w {
		b.window.Store(w)
		b.used.Store(0)
	}
	return b.used.Add(1) <= maxInlineWrites
}

// release lets writers run (after CONNACK was written) and starts one for
// what was queued meanwhile (a resumed session's messages).
func (q *outq) release() {
	q.mu.Lock()
	q.held = false
	var f func()
	if len(q.items) > q.head || q.closed {
		f = q.kick()
	}
	q.mu.Unlock()
	run(f)
}

func run(f func()) {
	if f != nil {
		f()
	}
}

// push queues a control packet or a QoS 1/2 delivery.
func (q *outq) push(it outItem) bool { return q.pushAll([]outItem{it}) }

// pushAll queues control packets or QoS 1/2 deliveries with one lock and
// at most one writer start. It reports false when the queue is closed.
func (q *outq) pushAll(its []outItem) bool {
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return false
	}
	if len(its) == 0 {
		q.mu.Unlock()
		return true
	}
	if q.items == nil {
		q.items = getItems()
	}
	q.items = append(q.items, its...)
	f := q.kick()
	q.mu.Unlock()
	run(f)
	return true
}

// pushQoS0 queues a QoS 0 delivery, evicting the oldest queued QoS 0 delivery
// when limit of them are already waiting, and returns the number dropped. A
// queue past its high-water mark with a writer that is making progress
// becomes congested (see congestion).
// behind reports that the writer is falling behind, hot that the queue is
// congested.
func (q *outq) pushQoS0(it outItem, limit int) (dropped int, behind, hot bool) {
	return q.pushRun([]outItem{it}, limit)
}

// pushRun queues several deliveries with one lock and at most one writer
// start: QoS 0 ones as pushQoS0 does, QoS 1/2 ones (in flight already) as
// push does. Congestion is looked at once, after the last.
func (q *outq) pushRun(its []outItem, limit int) (dropped int, behind, hot bool) {
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return len(its), false, false
	}
	if q.items == nil {
		q.items = getItems()
	}
	for _, it := range its {
		if it.qos > 0 {
			q.items = append(q.items, it)
			continue
		}
		if limit > 0 && q.qos0 >= limit {
			dropped += q.evictOldestQoS0()
		}
		q.items = append(q.items, it)
		q.qos0++
		q.bytes0 += len(it.msg.Payload)
	}
	behind = limit > 0 && q.qos0 > limit/4
	if q.congested == nil && (limit > 0 && q.qos0 > limit/2 || q.bytes0 > qos0HighBytes) && q.running && !q.stalled() {
		q.congested = make(chan struct{})
	}
	hot = q.congested != nil
	f := q.kick()
	q.mu.Unlock()
	run(f)
	return dropped, behind, hot
}

// congestion returns a channel closed when the writer takes the queue, or
// nil when the queue is not congested or its writer is stalled (has not
// come back for more within qos0Stall): a stalled subscriber holds nobody
// back, its excess is dropped instead.
func (q *outq) congestion() <-chan struct{} {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.congested == nil || q.stalled() {
		return nil
	}
	return q.congested
}

// wrote records that the writer finished a write call in the middle of a
// batch.
func (q *outq) wrote() {
	q.mu.Lock()
	q.madeProgress(time.Now().UnixNano())
	q.mu.Unlock()
}

// madeProgress records the writer's progress. q.mu must be held.
func (q *outq) madeProgress(now int64) {
	q.progress, q.looked, q.stuck = now, false, false
}

// stalled reports whether a running writer has made no progress (taken
// the queue or finished a write) for qos0Stall, and the subscriber is not
// reading either. A writer blocked on a full send buffer is woken only
// once much of it is free again, hundreds of milliseconds at a few MB/s,
// so the rule also looks (at most once per qos0Stall/2) at the bytes the
// peer acknowledged: while that count grows within ackStall the
// subscriber counts as slow, not stalled. A stalled one is therefore
// found after qos0Stall plus ackStall. q.mu must be held.
//
// (The send queue's size was tried first and was a poor sign: the writer
// refills it as it drains, so two looks could find it as full while the
// subscriber read steadily. And a reader with a large receive buffer
// acknowledges in steps that a delayed ACK can hold back for up to 200 ms,
// hence ackStall.)
func (q *outq) stalled() bool {
	if !q.running {
		return false
	}
	now := time.Now().UnixNano()
	if now-q.progress <= int64(qos0Stall) {
		return false
	}
	if q.acked == nil {
		return true
	}
	if now-q.probedAt < int64(qos0Stall)/2 {
		return q.stuck
	}
	q.probedAt = now
	n, ok := q.acked()
	if ok && (!q.looked || n > q.lastAcked) {
		q.lastAcked, q.ackedAt, q.looked = n, now, true
	}
	q.stuck = !ok || now-q.ackedAt > int64(ackStall)
	return q.stuck
}

// uncongest releases publishers waiting for this queue. q.mu must be held.
func (q *outq) uncongest() {
	if q.congested != nil {
		close(q.congested)
		q.congested = nil
	}
}

// Writer states returned by take.
const (
	haveItems = iota
	idle      // nothing queued: the writer goroutine ends
	drained   // closed and nothing queued: the connection's last write is done
)

// take returns everything queued; buf is reused for the next batch. With
// nothing queued the writer must end: idle, or drained once closed.
func (q *outq) take(buf []outItem) ([]outItem, int) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.items) > q.head {
		items := q.items[q.head:]
		q.items, q.head = buf[:0], 0
		q.qos0, q.bytes0 = 0, 0
		q.madeProgress(time.Now().UnixNano())
		q.uncongest()
		return items, haveItems
	}
	q.running = false
	q.uncongest()
	// Idle: the queue's array and the writer's last batch go back to the
	// pool shared by all connections, so a quiet connection holds none.
	putItems(q.items)
	putItems(buf)
	q.items, q.head = nil, 0
	if q.closed {
		return nil, drained
	}
	return nil, idle
}

// close stops the queue; a writer drains what is left and then ends with
// drained. It starts a writer if none runs so that the end is reached.
func (q *outq) close() {
	q.mu.Lock()
	q.closed = true
	q.held = false
	q.uncongest()
	f := q.kick()
	q.mu.Unlock()
	run(f)
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
		if old.msg == nil || old.qos != 0 {
			continue
		}
		if old.sub != nil {
			old.sub.CountDropped(1)
		}
		copy(q.items[q.head+1:j+1], q.items[q.head:j])
		q.items[q.head] = outItem{}
		q.head++
		q.qos0--
		q.bytes0 -= len(old.msg.Payload)
		if q.head > 1024 && q.head > len(q.items)/2 {
			n := copy(q.items, q.items[q.head:])
			clear(q.items[n:])
			q.items, q.head = q.items[:n], 0
		}
		return 1
	}
	return 0
}

// itemArrays recycles outbound queue arrays across connections: a
// connection's writer goes idle between bursts, and allocating a fresh
// array for every burst was most of the allocation under load.
var itemArrays = sync.Pool{New: func() any { s := make([]outItem, 0, 64); return &s }}

func getItems() []outItem { return (*itemArrays.Get().(*[]outItem))[:0] }

// putItems returns an array to the pool. Only s[:len(s)] can hold
// pointers: the writer clears each batch it took once written, take hands
// that cleared batch back as the next queue, and a queue's consumed head is
// zeroed as it advances. So a pooled array is all zeros without clearing its
// whole capacity, which cost a subscriber fed in bursts (a bridge's
// batches) 4% of its broker's CPU every time its writer went idle.
func putItems(s []outItem) {
	if cap(s) == 0 || cap(s) > 1<<16 {
		return // none, or too big to keep around
	}
	clear(s)
	s = s[:0]
	itemArrays.Put(&s)
}
