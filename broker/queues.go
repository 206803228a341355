package broker

import (
	"context"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashi-broker/hashi/broker/dest"
	"github.com/hashi-broker/hashi/config"
)

// queueSpace holds the broker's queues (and temporary queues) and the
// wildcard consumers that attach to queues as they appear.
//
// Lock order: queueSpace.mu, then queue.mu.
type queueSpace struct {
	mu       sync.RWMutex
	byName   map[dest.Destination]*queue
	idx      *dest.Index[*queue]    // by queue name, for wildcard consumers and virtual topics
	wildcard *dest.Index[*Consumer] // wildcard consumers by pattern
	// vts are the virtual topic mappings, read without the lock: a
	// publish to a topic outside them, the common case, takes none.
	vts atomic.Pointer[[]config.VirtualTopic]
}

func (s *queueSpace) init(cfg *config.Config) {
	s.byName = make(map[dest.Destination]*queue)
	s.idx = dest.NewIndex[*queue](false)
	s.wildcard = dest.NewIndex[*Consumer](false)
	s.setVirtualTopics(cfg)
}

// setVirtualTopics applies the virtual topic mappings: the configured ones,
// or ActiveMQ's default (VirtualTopic.> consumed through Consumer.*.VirtualTopic.>)
// when none is configured and useVirtualTopics is on.
func (s *queueSpace) setVirtualTopics(cfg *config.Config) {
	vts := cfg.Broker.VirtualTopics
	if len(vts) == 0 && cfg.Broker.UseVirtualTopics {
		vts = []config.VirtualTopic{{Name: "VirtualTopic.>", Prefix: "Consumer.*."}}
	}
	s.vts.Store(&vts)
}

// QueueExists reports whether the queue d exists (ActiveMQ asks for admin
// rights to create one that does not).
func (b *Broker) QueueExists(d dest.Destination) bool {
	s := &b.queues
	s.mu.RLock()
	defer s.mu.RUnlock()
	_, ok := s.byName[d]
	return ok
}

// queue returns the queue d, creating it when create is set.
func (b *Broker) queue(d dest.Destination, create bool) *queue {
	s := &b.queues
	s.mu.RLock()
	q := s.byName[d]
	s.mu.RUnlock()
	if q != nil || !create {
		return q
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if q = s.byName[d]; q != nil {
		return q
	}
	q = newQueue(b, d)
	s.byName[d] = q
	s.idx.Add(d.Name, q)
	// Wildcard consumers of the same kind start receiving from it.
	s.wildcard.Match(d.Name, func(c *Consumer) {
		if c.Dest.Kind == d.Kind {
			q.addConsumer(c)
		}
	})
	b.log.Debug("queue created", "queue", d.String())
	return q
}

// CreateQueue makes sure queue d exists (<destinations> pre-creation, the
// console).
func (b *Broker) CreateQueue(d dest.Destination) { b.queue(d, true) }

// Send delivers m: topics publish at once; queues enqueue, waiting while the
// queue is over its memory limit (producer flow control) until ctx is done
// or the policy's timeout passes.
func (b *Broker) Send(ctx context.Context, m *Message) error {
	if !m.Dest.Kind.IsQueue() {
		b.Publish(m)
		return nil
	}
	b.prepare(m)
	b.stats.Published.Add(1)
	return b.queue(m.Dest, true).send(ctx, m)
}

// SendWithin is Send waiting at most maxWait for space in a full queue, or,
// for a persistent topic message, for congested receivers (flow.go); it
// costs no context or timer unless it has to wait.
func (b *Broker) SendWithin(m *Message, maxWait time.Duration) error {
	if !m.Dest.Kind.IsQueue() {
		if m.Persistent || m.QoS > 0 {
			_, waits := b.PublishFlow(m)
			WaitFlow(waits, maxWait, nil)
			return nil
		}
		b.Publish(m)
		return nil
	}
	b.prepare(m)
	b.stats.Published.Add(1)
	return b.queue(m.Dest, true).sendWithin(nil, m, maxWait)
}

// virtualTopics enqueues a copy of each message of run, all to one topic,
// into every existing consumer queue of its virtual topic (e.g. topic
// VirtualTopic.Orders into queues Consumer.A.VirtualTopic.Orders and
// Consumer.B.VirtualTopic.Orders). The queues are looked up once per run.
func (b *Broker) virtualTopics(run ...*Message) {
	s := &b.queues
	vts := *s.vts.Load()
	d := run[0].Dest
	var targets []*queue
	locked := false
	for _, vt := range vts {
		if !dest.Covers(vt.Name, d.Name) {
			continue
		}
		if !locked {
			s.mu.RLock() // for s.idx
			locked = true
		}
		s.idx.Match(vt.Prefix+d.Name, func(q *queue) {
			if q.d.Kind == dest.Queue {
				targets = append(targets, q)
			}
		})
	}
	if locked {
		s.mu.RUnlock()
	}
	for _, q := range targets {
		for _, m := range run {
			c := m.Copy()
			c.Dest = q.d
			if !q.trySend(c) {
				b.stats.Dropped.Add(1)
				b.log.Warn("virtual topic consumer queue full, message dropped", "topic", d.String(), "queue", q.d.String())
			}
		}
	}
}

// Consume attaches a consumer to its queue (creating it) or, for a wildcard
// destination, to every matching queue now and later.
func (b *Broker) Consume(c *Consumer) {
	c.b = b
	c.inflight = make(map[uint64]*entry)
	c.demandID = b.demand.nextID()
	s := &b.queues
	if c.Dest.IsWildcard() {
		s.mu.Lock()
		s.wildcard.Add(c.Dest.Name, c)
		b.demand.emit(DemandEvent{Add: true, Demand: c.demand()})
		var qs []*queue
		s.idx.Match(c.Dest.Name, func(q *queue) {
			if q.d.Kind == c.Dest.Kind {
				qs = append(qs, q)
			}
		})
		s.mu.Unlock()
		for _, q := range qs {
			q.addConsumer(c)
		}
		return
	}
	q := b.queue(c.Dest, true)
	s.mu.Lock() // orders the demand event with WatchDemand's snapshot
	q.addConsumer(c)
	b.demand.emit(DemandEvent{Add: true, Demand: c.demand()})
	s.mu.Unlock()
}

// StopConsume detaches a consumer; its unacknowledged messages go back to
// the front of their queues, marked redelivered.
func (b *Broker) StopConsume(c *Consumer) {
	s := &b.queues
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return
	}
	qs := append([]*queue(nil), c.queues...)
	c.mu.Unlock()
	back := c.detach()
	s.mu.Lock()
	if c.Dest.IsWildcard() {
		s.wildcard.Remove(c.Dest.Name, c)
	}
	for _, q := range qs {
		q.removeConsumer(c)
	}
	b.demand.emit(DemandEvent{Demand: c.demand()})
	s.mu.Unlock()
	for q, es := range back {
		q.requeue(es, false)
	}
}

func (q *queue) addConsumer(c *Consumer) {
	q.mu.Lock()
	q.consumers = append(q.consumers, c)
	q.idleSince = time.Time{}
	c.mu.Lock()
	c.queues = append(c.queues, q)
	c.mu.Unlock()
	q.dispatch()
	q.mu.Unlock()
}

func (q *queue) removeConsumer(c *Consumer) {
	q.mu.Lock()
	for i, have := range q.consumers {
		if have == c {
			q.consumers = append(q.consumers[:i], q.consumers[i+1:]...)
			break
		}
	}
	if len(q.consumers) == 0 && len(q.pending) == 0 && q.bytes == 0 {
		q.idleSince = time.Now()
	}
	q.mu.Unlock()
}

// Queues returns the statistics of every queue, sorted by name.
func (b *Broker) Queues() []QueueStats {
	s := &b.queues
	s.mu.RLock()
	qs := make([]*queue, 0, len(s.byName))
	for _, q := range s.byName {
		qs = append(qs, q)
	}
	s.mu.RUnlock()
	out := make([]QueueStats, len(qs))
	for i, q := range qs {
		out[i] = q.stats()
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Dest.Name < out[j].Dest.Name })
	return out
}

// QueueStats returns one queue's statistics.
func (b *Broker) QueueStats(d dest.Destination) (QueueStats, bool) {
	q := b.queue(d, false)
	if q == nil {
		return QueueStats{}, false
	}
	return q.stats(), true
}

// Purge drops every pending (not yet dispatched) message of queue d.
func (b *Broker) Purge(d dest.Destination) int {
	q := b.queue(d, false)
	if q == nil {
		return 0
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	n := len(q.pending)
	for _, e := range q.pending {
		q.release(e)
	}
	q.pending = nil
	return n
}

// DeleteQueue removes queue d and its messages; consumers are detached.
func (b *Broker) DeleteQueue(d dest.Destination) bool {
	s := &b.queues
	s.mu.Lock()
	q := s.byName[d]
	if q == nil {
		s.mu.Unlock()
		return false
	}
	delete(s.byName, d)
	s.idx.Remove(d.Name, q)
	s.mu.Unlock()
	q.mu.Lock()
	q.deleted = true
	cs := append([]*Consumer(nil), q.consumers...)
	q.consumers = nil
	q.pending = nil
	close(q.space)
	q.space = make(chan struct{})
	q.mu.Unlock()
	for _, c := range cs {
		c.mu.Lock()
		for i, have := range c.queues {
			if have == q {
				c.queues = append(c.queues[:i], c.queues[i+1:]...)
				break
			}
		}
		for t, e := range c.inflight {
			if e.q == q {
				delete(c.inflight, t)
			}
		}
		c.mu.Unlock()
	}
	b.log.Info("queue deleted", "queue", d.String())
	return true
}

// DeleteTemp removes the temporary queues a connection created.
func (b *Broker) DeleteTemp(connID uint64) {
	s := &b.queues
	s.mu.RLock()
	var ds []dest.Destination
	for d, q := range s.byName {
		if d.Kind == dest.TempQueue && q.owner == connID {
			ds = append(ds, d)
		}
	}
	s.mu.RUnlock()
	for _, d := range ds {
		b.DeleteQueue(d)
	}
}

// CreateTemp creates a temporary queue owned by connection connID.
func (b *Broker) CreateTemp(d dest.Destination, connID uint64) {
	q := b.queue(d, true)
	q.mu.Lock()
	if q.owner == 0 {
		q.owner = connID
	}
	q.mu.Unlock()
}

// gcQueues removes queues idle (no consumers, no messages) for longer than
// their policy's inactiveTimeoutBeforeGC, where gcInactiveDestinations is
// set (ActiveMQ's "Inactive for longer than N ms - removing ..." sweep).
func (b *Broker) gcQueues(now time.Time, max int) int {
	s := &b.queues
	s.mu.RLock()
	var victims []dest.Destination
	for d, q := range s.byName {
		if d.Kind != dest.Queue || strings.HasPrefix(d.Name, "ActiveMQ.") {
			continue
		}
		e := b.topics.pol.entry(d)
		if e == nil || !e.GCInactiveDestinations {
			continue
		}
		q.mu.Lock()
		idle := q.idleSince
		q.mu.Unlock()
		if !idle.IsZero() && now.Sub(idle) >= e.InactiveTimeoutBeforeGC {
			victims = append(victims, d)
			if max > 0 && len(victims) >= max {
				break
			}
		}
	}
	s.mu.RUnlock()
	for _, d := range victims {
		q := b.queue(d, false)
		if q == nil {
			continue
		}
		q.mu.Lock()
		still := len(q.consumers) == 0 && len(q.pending) == 0 && q.bytes == 0
		q.mu.Unlock()
		if still && b.DeleteQueue(d) {
			b.log.Info("destination inactive, removing", "queue", d.String())
		}
	}
	return len(victims)
}
