package broker

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashi-broker/hashi/broker/dest"
	"github.com/hashi-broker/hashi/config"
)

// ErrQueueFull is returned by Send when a queue's memory limit is reached and
// the policy says to fail (sendFailIfNoSpace) or the wait timed out.
var ErrQueueFull = errors.New("broker: queue memory limit reached")

// MaxRedeliveries is how often a message is redelivered after NACKs before
// it moves to the dead-letter queue (ActiveMQ's RedeliveryPolicy default).
const MaxRedeliveries = 6

// DLQ is the shared dead-letter queue (ActiveMQ's default strategy).
var DLQ = dest.Q("ActiveMQ.DLQ")

// entry is one message held by a queue.
type entry struct {
	m          *Message
	q          *queue
	seq        uint64 // enqueue order, kept across redeliveries
	tag        uint64 // delivery tag, new for every dispatch
	deliveries int
	size       int64
}

// queue is a point-to-point destination: each message goes to one consumer,
// stays until acknowledged, and returns to the front when its consumer goes
// away or refuses it.
//
// Lock order: queue.mu, then Consumer.mu.
type queue struct {
	b *Broker
	d dest.Destination

	mu        sync.Mutex
	pending   []*entry // waiting for a consumer, in order
	consumers []*Consumer
	rr        int
	bytes     int64 // pending + dispatched, not yet consumed
	limit     int64
	failFast  bool
	failAfter time.Duration
	space     chan struct{} // closed when bytes drops below limit and a producer waits
	waiting   int           // producers waiting for space
	idleSince time.Time     // no consumers and nothing pending since
	deleted   bool
	owner     uint64 // temp queues: the connection that created it

	enqueued, dequeued, dispatched, expired, dlq atomic.Uint64
}

func newQueue(b *Broker, d dest.Destination) *queue {
	q := &queue{b: b, d: d, space: make(chan struct{}), idleSince: time.Now()}
	q.applyPolicy(b.topics.pol.entry(d), b.Config())
	return q
}

// applyPolicy sets the memory limit and flow-control behaviour from the
// queue's policy entry (or the broker's systemUsage memory limit).
func (q *queue) applyPolicy(e *config.PolicyEntry, cfg *config.Config) {
	q.limit = cfg.Broker.SystemUsage.MemoryLimit
	if q.limit <= 0 {
		q.limit = 1 << 30
	}
	q.failFast = cfg.Broker.SystemUsage.SendFailIfNoSpace
	q.failAfter = cfg.Broker.SystemUsage.SendFailIfNoSpaceAfter
	if e != nil {
		if e.MemoryLimit > 0 {
			q.limit = e.MemoryLimit
		}
		if !e.ProducerFlowControl {
			// Without producer flow control ActiveMQ spools to disk; Hashi
			// keeps memory bounded and refuses instead.
			q.failFast = true
		}
		if e.SendFailIfNoSpace {
			q.failFast = true
		}
		if e.SendFailIfNoSpaceAfter > 0 {
			q.failAfter = e.SendFailIfNoSpaceAfter
		}
	}
}

func msgSize(m *Message) int64 { return int64(len(m.Payload)) + 256 }

// send enqueues m, waiting for space while the queue is over its memory limit
// (producer flow control) unless the policy says to fail.
func (q *queue) send(ctx context.Context, m *Message) error {
	return q.sendWithin(ctx, m, 0)
}

// sendWithin is send with an extra bound on the wait for space (0 = none);
// ctx may be nil. Nothing is allocated unless the queue is full.
func (q *queue) sendWithin(ctx context.Context, m *Message, maxWait time.Duration) error {
	size := msgSize(m)
	var timeout <-chan time.Time
	for {
		q.mu.Lock()
		if q.deleted {
			q.mu.Unlock()
			return fmt.Errorf("%s was deleted", q.d)
		}
		if q.bytes+size <= q.limit || q.bytes == 0 {
			break
		}
		space := q.space
		if !q.failFast {
			q.waiting++
		}
		q.mu.Unlock()
		if q.failFast {
			return fmt.Errorf("%w: %s holds %d bytes, limit %d", ErrQueueFull, q.d, q.bytes, q.limit)
		}
		wait := q.failAfter
		if maxWait > 0 && (wait <= 0 || maxWait < wait) {
			wait = maxWait
		}
		if timeout == nil && wait > 0 {
			timeout = time.After(wait)
		}
		var done <-chan struct{}
		if ctx != nil {
			done = ctx.Done()
		}
		var err error
		select {
		case <-space:
		case <-timeout:
			err = fmt.Errorf("%w: %s, waited %v", ErrQueueFull, q.d, wait)
		case <-done:
			err = fmt.Errorf("%w: %s: %w", ErrQueueFull, q.d, ctx.Err())
		}
		q.mu.Lock()
		q.waiting--
		q.mu.Unlock()
		if err != nil {
			return err
		}
	}
	seq := q.b.tags.Add(1)
	e := &entry{m: m, q: q, seq: seq, tag: seq, size: size}
	q.bytes += size
	q.pending = append(q.pending, e)
	q.enqueued.Add(1)
	q.idleSince = time.Time{}
	q.dispatch()
	q.mu.Unlock()
	return nil
}

// trySend enqueues without waiting; used for virtual-topic fan-out, where
// one full consumer queue must not stall the publisher or the topic.
func (q *queue) trySend(m *Message) bool {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return q.send(ctx, m) == nil
}

func (q *queue) dispatchLocking() {
	q.mu.Lock()
	q.dispatch()
	q.mu.Unlock()
}

// dispatch hands pending messages to consumers with credit: the highest
// priority first (local consumers before network bridges), round robin
// among equals. A message no consumer with credit accepts (a bridge never
// takes a message back where it came from) stays pending without blocking
// the ones behind it; at most maxSkip of those are stepped over per call.
// q.mu must be held.
func (q *queue) dispatch() {
	if len(q.pending) == 0 || len(q.consumers) == 0 {
		return
	}
	var now time.Time // read only when a message can expire: time.Now is not free
	local := q.localConsumers()
	var skipped []*entry
	i := 0
	for ; i < len(q.pending); i++ {
		e := q.pending[i]
		if e.m.Expiry != 0 && now.IsZero() {
			now = time.Now()
		}
		if e.m.Expired(now) {
			q.pending[i] = nil
			q.expired.Add(1)
			q.release(e)
			continue
		}
		c, credit := q.pick(e.m, local)
		if c == nil {
			if !credit || len(skipped) >= maxSkip {
				break
			}
			skipped = append(skipped, e)
			q.pending[i] = nil
			continue
		}
		q.pending[i] = nil
		if e.deliveries > 0 {
			e.tag = q.b.tags.Add(1) // a redelivery is a new delivery
		}
		e.deliveries++
		c.take(e)
		q.dispatched.Add(1)
		c.Owner.DeliverQueue(c, Delivery{Msg: e.m, Queue: q.d, Tag: e.tag, Redelivered: e.deliveries > 1, Count: e.deliveries})
	}
	rest := q.pending[i:]
	switch {
	case len(skipped) > 0:
		q.pending = append(skipped, rest...)
	case len(rest) == 0:
		q.pending = nil // let the backing array go
	default:
		q.pending = rest
	}
}

// maxSkip bounds how many undeliverable messages one dispatch steps over.
const maxSkip = 1000

func (q *queue) localConsumers() int {
	n := 0
	for _, c := range q.consumers {
		if !c.Network {
			n++
		}
	}
	return n
}

// pick chooses the consumer for m among those with credit; credit reports
// whether any consumer had credit at all. q.mu must be held.
func (q *queue) pick(m *Message, local int) (best *Consumer, credit bool) {
	n := len(q.consumers)
	bestIdx := -1
	for i := 0; i < n; i++ {
		idx := (q.rr + i) % n
		c := q.consumers[idx]
		if !c.credit() {
			continue
		}
		credit = true
		if c.Accept != nil && !c.Accept(m, local) {
			continue
		}
		if best == nil || c.Priority > best.Priority {
			best, bestIdx = c, idx
		}
	}
	if best != nil {
		q.rr = (bestIdx + 1) % n
	}
	return best, credit
}

// consumed removes an acknowledged entry for good.
func (q *queue) consumed(e *entry) {
	q.mu.Lock()
	q.dequeued.Add(1)
	q.release(e)
	q.mu.Unlock()
}

// consumedThenDispatch settles acknowledged entries and dispatches to the
// credit they gave back, under one lock.
func (q *queue) consumedThenDispatch(es []*entry) {
	q.mu.Lock()
	for _, e := range es {
		q.dequeued.Add(1)
		q.release(e)
	}
	q.dispatch()
	q.mu.Unlock()
}

// release frees e's memory and wakes blocked producers. q.mu must be held.
func (q *queue) release(e *entry) {
	q.bytes -= e.size
	if q.bytes < q.limit && q.waiting > 0 {
		close(q.space)
		q.space = make(chan struct{})
	}
	if len(q.consumers) == 0 && len(q.pending) == 0 && q.bytes == 0 {
		q.idleSince = time.Now()
	}
}

// requeue puts entries back at the front of the queue in their original order,
// or into the dead-letter queue when they were delivered too often.
func (q *queue) requeue(es []*entry, nack bool) {
	var dead []*entry
	q.mu.Lock()
	back := es[:0:0]
	for _, e := range es {
		if nack && e.deliveries > MaxRedeliveries {
			dead = append(dead, e)
			q.release(e)
			continue
		}
		back = append(back, e)
	}
	slices.SortFunc(back, func(a, b *entry) int { return cmp.Compare(a.seq, b.seq) })
	q.pending = append(back, q.pending...)
	q.dispatch()
	q.mu.Unlock()
	for _, e := range dead {
		q.dlq.Add(1)
		q.b.log.Warn("message moved to the dead-letter queue after too many redeliveries",
			"queue", q.d.String(), "message", q.b.MessageID(e.m), "deliveries", e.deliveries, "dlq", DLQ.String())
		if q.d != DLQ {
			c := e.m.Copy()
			c.Dest = DLQ
			q.b.Send(context.Background(), c)
		}
	}
}

// QueueStats is a queue's counters, for the console and metrics.
type QueueStats struct {
	Dest       dest.Destination `json:"destination"`
	Pending    int              `json:"pending"`
	Inflight   int              `json:"inflight"`
	Consumers  int              `json:"consumers"`
	Bytes      int64            `json:"bytes"`
	Limit      int64            `json:"memoryLimit"`
	Enqueued   uint64           `json:"enqueued"`
	Dequeued   uint64           `json:"dequeued"`
	Dispatched uint64           `json:"dispatched"`
	Expired    uint64           `json:"expired"`
	DLQ        uint64           `json:"deadLettered"`
}

func (q *queue) stats() QueueStats {
	q.mu.Lock()
	defer q.mu.Unlock()
	inflight := 0
	for _, c := range q.consumers {
		c.mu.Lock()
		for _, e := range c.inflight {
			if e.q == q {
				inflight++
			}
		}
		c.mu.Unlock()
	}
	return QueueStats{
		Dest: q.d, Pending: len(q.pending), Inflight: inflight, Consumers: len(q.consumers),
		Bytes: q.bytes, Limit: q.limit, Enqueued: q.enqueued.Load(), Dequeued: q.dequeued.Load(),
		Dispatched: q.dispatched.Load(), Expired: q.expired.Load(), DLQ: q.dlq.Load(),
	}
}
