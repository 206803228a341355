package stomp

import (
	"slices"
	"strconv"

	"github.com/go-stomp/stomp/v3/frame"

	"github.com/hashi-broker/hashi/authz"
	"github.com/hashi-broker/hashi/broker"
	"github.com/hashi-broker/hashi/broker/dest"
)

// subscription is one STOMP SUBSCRIBE: a topic subscription or a queue
// consumer in the broker core.
type subscription struct {
	c        *conn
	id       string
	d        dest.Destination
	header   string // destination as the client wrote it
	mode     broker.AckMode
	topic    *broker.Subscription
	consumer *broker.Consumer
	tags     map[uint64]string // queue deliveries awaiting ACK: tag -> message-id (guarded by c.mu)
	stopped  bool              // ended: the writer records no more tags (guarded by c.mu)
}

// Deliver implements broker.Subscriber for topic subscriptions.
func (s *subscription) Deliver(subs []*broker.Subscription, m *broker.Message) {
	s.c.out.pushTopic(outItem{msg: m, sub: s, topicSub: subs[0]}, subs[0].PendingLimit)
}

// DeliverQueue implements broker.QueueSubscriber for queue consumers.
func (s *subscription) DeliverQueue(_ *broker.Consumer, d broker.Delivery) {
	s.c.out.push(outItem{msg: d.Msg, sub: s, tag: d.Tag, redeliv: d.Redelivered, queue: d.Queue})
}

func ackMode(h string) (broker.AckMode, bool) {
	switch h {
	case "", "auto":
		return broker.AckAuto, true
	case "client":
		return broker.AckClient, true
	case "client-individual":
		return broker.AckIndividual, true
	}
	return 0, false
}

func (c *conn) handleSubscribe(f *frame.Frame) error {
	h := f.Header.Get(frame.Destination)
	if h == "" {
		return refusef("SUBSCRIBE without a destination header")
	}
	id, ok := f.Header.Contains(frame.Id)
	if !ok {
		if c.version != "1.0" {
			return refusef("SUBSCRIBE without an id header")
		}
		id = h // STOMP 1.0: the destination identifies the subscription
	}
	if _, dup := c.subs[id]; dup {
		return refusef("Duplicate subscription id: %s", id)
	}
	if name := f.Header.Get("activemq.subscriptionName"); name != "" {
		// ActiveMQ makes this a durable topic subscription; Hashi keeps
		// STOMP topic subscriptions for the life of the connection only.
		c.log.Warn("durable STOMP subscriptions are not supported; this one ends with the connection",
			"subscription", name, "destination", h)
	}
	if sel, ok := f.Header.Contains("selector"); ok && sel != "" {
		return refusef("Message selectors are not supported by Hashi: SUBSCRIBE %s with selector %q was not created", h, sel)
	}
	mode, ok := ackMode(f.Header.Get(frame.Ack))
	if !ok {
		return refusef("Invalid ack mode %q: use auto, client or client-individual", f.Header.Get(frame.Ack))
	}
	d, err := c.resolve(h, true)
	if err != nil {
		return err
	}
	if d.Kind == dest.TempQueue && !c.ownsTemp(d) {
		return refusef("Cannot consume from a temporary destination of another connection: %s", h)
	}
	if err := c.authorize(authz.Read, d); err != nil {
		return err
	}
	s := &subscription{c: c, id: id, d: d, header: h, mode: mode, tags: make(map[uint64]string)}
	if d.Kind.IsQueue() {
		s.consumer = &broker.Consumer{
			Dest: d, Owner: s, Prefetch: c.prefetch(f, d), Mode: mode,
			ID: id, ClientID: c.clientID, ConnID: c.id, Who: c.ident,
		}
		c.subs[id] = s
		c.b.Consume(s.consumer)
	} else {
		s.topic = &broker.Subscription{
			Dest: d, Owner: s, QoS: 1, Filter: h, ClientID: c.clientID, ConnID: c.id, Who: c.ident,
		}
		c.subs[id] = s
		c.b.Subscribe(s.topic)
	}
	c.log.Debug("subscribed", "id", id, "destination", d.String(), "ack", f.Header.Get(frame.Ack))
	return nil
}

// prefetch is activemq.prefetchSize, else the policy's queuePrefetch, else
// the server default.
func (c *conn) prefetch(f *frame.Frame, d dest.Destination) int {
	if v, ok := f.Header.Contains("activemq.prefetchSize"); ok {
		if n, err := strconv.Atoi(v); err == nil && n > 0 {
			return n
		}
	}
	if e := c.b.Policy(d); e != nil && e.QueuePrefetch > 0 {
		return e.QueuePrefetch
	}
	return c.srv.opts.Prefetch
}

func (c *conn) handleUnsubscribe(f *frame.Frame) error {
	id, ok := f.Header.Contains(frame.Id)
	if !ok && c.version == "1.0" {
		id, ok = f.Header.Contains(frame.Destination)
	}
	if !ok {
		return refusef("UNSUBSCRIBE without an id header")
	}
	s := c.subs[id]
	if s == nil {
		return refusef("No subscription with id %s", id)
	}
	c.stopSub(s)
	return nil
}

// stopSub ends a subscription; unacknowledged queue messages return to their
// queue for redelivery.
func (c *conn) stopSub(s *subscription) {
	delete(c.subs, s.id)
	if c.ackSub == s {
		c.ackSub = nil
	}
	if s.topic != nil {
		c.b.Unsubscribe(s.topic)
		return
	}
	c.b.StopConsume(s.consumer)
	c.mu.Lock()
	s.stopped = true
	for tag, mid := range s.tags {
		c.dropByMsg(mid, tag)
		delete(s.tags, tag)
	}
	c.mu.Unlock()
}

// handleAck handles ACK (ack=true) and NACK. STOMP 1.2 names the delivery by
// the MESSAGE's ack header (id), 1.0/1.1 by message-id.
func (c *conn) handleAck(f *frame.Frame, ack bool) error {
	ref, ok := c.lookupAck(f)
	if !ok {
		// A topic message, or one already acknowledged cumulatively:
		// nothing to do (ActiveMQ answers an unknown id with an ERROR;
		// tolerating it keeps reconnecting clients working).
		c.log.Debug("ACK/NACK for no outstanding delivery", "id", f.Header.Get(frame.Id), "message-id", f.Header.Get(frame.MessageId))
		return nil
	}
	if tx := f.Header.Get(frame.Transaction); tx != "" {
		t, err := c.tx(tx)
		if err != nil {
			return err
		}
		t.acks = append(t.acks, txAck{ref: ref, ack: ack})
		return nil
	}
	c.settle(ref, ack)
	return nil
}

// ackBatch holds plain ACKs of one subscription, read one after another.
type ackBatch struct {
	sub  *subscription
	tags []uint64
}

// maxAckBatch bounds the ACKs settled together.
const maxAckBatch = 256

// batchAck takes a plain STOMP 1.2 ACK (no receipt, no transaction) of a
// client-individual delivery into the batch, which settleAcks applies under
// one lock of the consumer and of its queue, the way a subscriber
// acknowledging a stream of messages sends them: one ACK per MESSAGE, many
// to a read. It reports false for any other frame, which the caller
// handles as usual.
func (c *conn) batchAck(f *frame.Frame) bool {
	if f.Command != frame.ACK || c.version != "1.2" {
		return false
	}
	if _, ok := f.Header.Contains(frame.Receipt); ok {
		return false
	}
	if _, ok := f.Header.Contains(frame.Transaction); ok {
		return false
	}
	ref, ok := c.lookupAck(f)
	if !ok || ref.sub.mode != broker.AckIndividual {
		return false
	}
	if c.acks.sub != ref.sub {
		c.settleAcks()
		c.acks.sub = ref.sub
	}
	c.acks.tags = append(c.acks.tags, ref.tag)
	if len(c.acks.tags) >= maxAckBatch {
		c.settleAcks()
	}
	return true
}

// settleAcks applies the batched ACKs, as settle does one.
func (c *conn) settleAcks() {
	b := &c.acks
	if len(b.tags) == 0 {
		return
	}
	b.sub.consumer.AckEach(b.tags)
	c.mu.Lock()
	for _, tag := range b.tags {
		c.forgetTag(b.sub, tag)
	}
	c.mu.Unlock()
	b.sub, b.tags = nil, b.tags[:0]
}

// forgetTag drops a settled delivery's tag from s. c.mu held.
func (c *conn) forgetTag(s *subscription, tag uint64) {
	if mid, ok := s.tags[tag]; ok {
		delete(s.tags, tag)
		c.dropByMsg(mid, tag)
	}
}

func (c *conn) lookupAck(f *frame.Frame) (ackRef, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.version == "1.2" {
		tag, err := strconv.ParseUint(f.Header.Get(frame.Id), 10, 64)
		if err != nil {
			return ackRef{}, false
		}
		if s := c.ackSub; s != nil {
			if _, ok := s.tags[tag]; ok {
				return ackRef{s, tag}, true
			}
		}
		for _, s := range c.subs {
			if _, ok := s.tags[tag]; ok {
				c.ackSub = s
				return ackRef{s, tag}, true
			}
		}
		return ackRef{}, false
	}
	// One message can reach several subscriptions of this connection (two
	// virtual-topic consumer queues, overlapping wildcards): the
	// subscription header (required since 1.1) says which delivery.
	refs := c.byMsg[f.Header.Get(frame.MessageId)]
	sub, hasSub := f.Header.Contains(frame.Subscription)
	for _, ref := range refs {
		if !hasSub || ref.sub.id == sub {
			return ref, true
		}
	}
	return ackRef{}, false
}

// addByMsg records a delivery awaiting a 1.0/1.1 ACK by message-id; a
// redelivery to the same subscription replaces the earlier one. c.mu held.
func (c *conn) addByMsg(mid string, ref ackRef) {
	if c.version == "1.2" {
		return // 1.2 acknowledges by the ack header (the tag)
	}
	refs := c.byMsg[mid]
	for i := range refs {
		if refs[i].sub == ref.sub {
			refs[i] = ref
			return
		}
	}
	c.byMsg[mid] = append(refs, ref)
}

// dropByMsg forgets the delivery tag of message mid. c.mu held.
func (c *conn) dropByMsg(mid string, tag uint64) {
	if c.version == "1.2" {
		return
	}
	refs := slices.DeleteFunc(c.byMsg[mid], func(r ackRef) bool { return r.tag == tag })
	if len(refs) == 0 {
		delete(c.byMsg, mid)
		return
	}
	c.byMsg[mid] = refs
}

// settle applies an ACK or NACK to the core and forgets what it covered:
// the deliveries no longer outstanding. A NACKed message keeps its tag when
// the queue redelivers it, possibly to this same subscription at once (and
// the writer may already have recorded that redelivery), so the tag itself
// is not dropped unless the core says it is no longer out.
func (c *conn) settle(ref ackRef, ack bool) {
	cons := ref.sub.consumer
	if ack {
		cons.Ack(ref.tag)
	} else {
		cons.Nack(ref.tag)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if ref.sub.mode != broker.AckClient {
		c.forgetTag(ref.sub, ref.tag) // every dispatch has its own tag
		return
	}
	// A cumulative ACK settled every earlier delivery too.
	for tag, mid := range ref.sub.tags {
		if !cons.Outstanding(tag) {
			delete(ref.sub.tags, tag)
			c.dropByMsg(mid, tag)
		}
	}
}

// authorize checks act on d and, for a queue that does not exist yet, the
// admin right to create it (ActiveMQ's rule). Denials are logged once.
func (c *conn) authorize(act authz.Action, d dest.Destination) error {
	if !c.b.Allowed(c.ident, act, d) {
		c.b.Denied("stomp", c.ident, c.clientID, act, d)
		return refusef("%s", authz.Denial(c.ident, act, d).Error())
	}
	if d.Kind == dest.Queue && !d.IsWildcard() && !c.b.QueueExists(d) && !c.b.Allowed(c.ident, authz.Admin, d) {
		c.b.Denied("stomp", c.ident, c.clientID, authz.Admin, d)
		return refusef("%s", authz.Denial(c.ident, authz.Admin, d).Error())
	}
	return nil
}
