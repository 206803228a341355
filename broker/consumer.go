package broker

import (
	"slices"
	"sync"

	"github.com/hashi-broker/hashi/authz"
	"github.com/hashi-broker/hashi/broker/dest"
)

// AckMode says when a queue message dispatched to a consumer counts as
// consumed (STOMP's ack header).
type AckMode uint8

const (
	// AckAuto: consumed once written to the consumer's connection.
	AckAuto AckMode = iota
	// AckClient: an ACK acknowledges that message and every earlier one
	// delivered to the same consumer (cumulative).
	AckClient
	// AckIndividual: an ACK acknowledges that message only.
	AckIndividual
)

// Delivery is one queue message handed to a consumer.
type Delivery struct {
	Msg         *Message
	Queue       dest.Destination // the queue it came from (a wildcard consumer spans several)
	Tag         uint64           // broker-unique delivery tag, used to ACK/NACK
	Redelivered bool
	Count       int // delivery attempts so far, this one included
}

// QueueSubscriber receives queue deliveries. DeliverQueue must not block; it
// is called with the queue's lock held and must not call back into the
// queue (ack from another goroutine instead).
type QueueSubscriber interface {
	DeliverQueue(c *Consumer, d Delivery)
}

// Consumer is a queue consumer: one STOMP subscription on /queue/..., or a
// bridge's demand on a queue. A wildcard consumer ("orders.>") receives from
// every matching queue and shares its prefetch across them.
type Consumer struct {
	Dest       dest.Destination // queue name, possibly with wildcards
	Owner      QueueSubscriber
	Prefetch   int // most unacknowledged deliveries at once; <= 0 means 1000
	Mode       AckMode
	Priority   int // higher is preferred; network consumers run below 0
	Network    bool
	Bridge     string   // the bridge that owns a network consumer
	BrokerPath []string // network consumers: path of the remote consumer
	// Accept, when set, decides per message whether this consumer may take
	// it (a bridge never takes a message back to a broker it came through).
	// localConsumers is the number of non-network consumers on the queue.
	Accept func(m *Message, localConsumers int) bool

	ID       string // protocol-level subscription id, for display
	ClientID string
	ConnID   uint64
	Who      authz.Identity

	b        *Broker
	demandID uint64
	mu       sync.Mutex // after queue.mu
	inflight map[uint64]*entry
	order    []uint64 // AckClient only: tags in dispatch order, for cumulative acks
	queues   []*queue
	closed   bool
}

func (c *Consumer) prefetch() int {
	if c.Prefetch <= 0 {
		return 1000
	}
	return c.Prefetch
}

// credit reports whether c may take another delivery. c.mu must not be held.
func (c *Consumer) credit() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return !c.closed && len(c.inflight) < c.prefetch()
}

// Inflight is the number of deliveries not yet acknowledged.
func (c *Consumer) Inflight() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.inflight)
}

// take records e as delivered to c. q.mu is held by the caller.
func (c *Consumer) take(e *entry) {
	c.mu.Lock()
	c.inflight[e.tag] = e
	if c.Mode == AckClient {
		c.order = append(c.order, e.tag)
	}
	c.mu.Unlock()
}

// Ack acknowledges a delivery: with AckClient also every earlier delivery to
// this consumer. It reports whether tag was outstanding.
func (c *Consumer) Ack(tag uint64) bool {
	c.mu.Lock()
	e, ok := c.inflight[tag]
	if !ok {
		c.mu.Unlock()
		return false
	}
	var one [1]*entry // an individual ACK allocates no list
	done := one[:0]
	if c.Mode == AckClient {
		i := slices.Index(c.order, tag)
		for _, t := range c.order[:i+1] {
			if e := c.inflight[t]; e != nil {
				done = append(done, e)
				delete(c.inflight, t)
			}
		}
		c.order = append(c.order[:0], c.order[i+1:]...)
	} else {
		done = append(done, e)
		delete(c.inflight, tag)
	}
	var few [4]*queue
	qs := append(few[:0], c.queues...)
	c.mu.Unlock()
	consumed(done, qs)
	return true
}

// AckEach acknowledges each delivery in tags that is outstanding, as Ack
// does one at a time, under one lock of the consumer and, in the usual
// case, one of its queue; it reports how many were outstanding. For an
// AckClient consumer (cumulative acknowledgements) it calls Ack for each.
func (c *Consumer) AckEach(tags []uint64) int {
	n := 0
	if c.Mode == AckClient {
		for _, tag := range tags {
			if c.Ack(tag) {
				n++
			}
		}
		return n
	}
	var some [64]*entry
	done := some[:0]
	c.mu.Lock()
	for _, tag := range tags {
		if e, ok := c.inflight[tag]; ok {
			done = append(done, e)
			delete(c.inflight, tag)
		}
	}
	var few [4]*queue
	qs := append(few[:0], c.queues...)
	c.mu.Unlock()
	if len(done) > 0 {
		consumed(done, qs)
	}
	return len(done)
}

// consumed settles acknowledged entries and lets the consumer's queues qs
// dispatch to the credit that came back.
func consumed(done []*entry, qs []*queue) {
	if len(qs) == 1 && fromQueue(done, qs[0]) {
		qs[0].consumedThenDispatch(done) // the usual case: one lock of the queue
		return
	}
	for _, e := range done {
		e.q.consumed(e)
	}
	for _, q := range qs {
		q.dispatchLocking()
	}
}

// fromQueue reports whether every entry of es came from q.
func fromQueue(es []*entry, q *queue) bool {
	for _, e := range es {
		if e.q != q {
			return false
		}
	}
	return true
}

// Nack refuses a delivery: it goes back to its queue marked redelivered, or
// to the dead-letter queue after too many attempts. It reports whether tag
// was outstanding.
func (c *Consumer) Nack(tag uint64) bool {
	c.mu.Lock()
	e, ok := c.inflight[tag]
	if ok {
		delete(c.inflight, tag)
		if c.Mode == AckClient {
			c.order = slices.DeleteFunc(c.order, func(t uint64) bool { return t == tag })
		}
	}
	c.mu.Unlock()
	if !ok {
		return false
	}
	e.q.requeue([]*entry{e}, true)
	c.kick()
	return true
}

// kick lets every queue of c dispatch again (credit came back).
func (c *Consumer) kick() {
	var few [4]*queue // a consumer rarely has more queues: no allocation per ack
	c.mu.Lock()
	qs := append(few[:0], c.queues...)
	c.mu.Unlock()
	for _, q := range qs {
		q.dispatchLocking()
	}
}

// detach closes c and returns its unacknowledged deliveries by queue.
func (c *Consumer) detach() map[*queue][]*entry {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed = true
	back := make(map[*queue][]*entry) // requeue restores enqueue order
	for _, e := range c.inflight {
		back[e.q] = append(back[e.q], e)
	}
	c.inflight = map[uint64]*entry{}
	c.order = nil
	return back
}

// Outstanding reports whether the delivery tag is still unacknowledged.
func (c *Consumer) Outstanding(tag uint64) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, ok := c.inflight[tag]
	return ok
}
