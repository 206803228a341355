package mqtt

import (
	"time"

	"github.com/hashi-broker/hashi/authz"
	"github.com/hashi-broker/hashi/broker"
	"github.com/hashi-broker/hashi/broker/dest"
	"github.com/hashi-broker/hashi/broker/mqtt/packet"
)

// handlePublish handles a PUBLISH from the client: topic alias, checks,
// authorization, hand-off to the broker, and the acknowledgement.
func (c *conn) handlePublish(p *packet.Publish) error {
	if c.published++; c.published == busyPublisher {
		c.r.Grow(64 << 10)
	}
	topic := p.Topic
	if c.version == packet.V5 && p.Properties.Has(packet.PropTopicAlias) {
		a := p.Properties.TopicAlias
		if a == 0 || a > c.srv.opts.TopicAliasMaximum {
			return &packet.Error{Code: packet.TopicAliasInvalid, Msg: "topic alias out of range [MQTT-3.3.2-9]"}
		}
		if topic == "" {
			if topic = c.aliases[a]; topic == "" {
				return protocolError("unknown topic alias [MQTT-3.3.4-?]")
			}
		} else {
			if c.aliases == nil {
				c.aliases = make(map[uint16]string)
			}
			c.aliases[a] = topic
		}
	}
	name, known := c.lastName, topic == c.lastTopic && topic != ""
	if !known {
		name, known = c.names[topic]
	}
	if !known && !packet.ValidTopicName(topic) {
		// Wildcards or an empty name in PUBLISH [MQTT-3.3.2-2].
		return &packet.Error{Code: packet.TopicNameInvalid, Msg: "invalid topic name " + quote(topic) + " in PUBLISH"}
	}

	if p.QoS == 2 {
		c.flushRun() // its acknowledgements come first
		c.sess.mu.Lock()
		_, dup := c.sess.inbound2[uint32(p.PacketID)]
		n := len(c.sess.inbound2)
		if !dup && n >= int(c.srv.opts.ReceiveMaximum) {
			c.sess.mu.Unlock()
			return &packet.Error{Code: packet.ReceiveMaximumExceeded, Msg: "too many QoS 2 publishes awaiting PUBREL [MQTT-3.3.4-7]"}
		}
		if c.sess.inbound2 == nil {
			c.sess.inbound2 = make(map[uint32]struct{})
		}
		c.sess.inbound2[uint32(p.PacketID)] = struct{}{}
		c.sess.mu.Unlock()
		if dup {
			// Already delivered once: acknowledge again, deliver never
			// twice [MQTT-4.3.3-9].
			c.ack(packet.TypePubrec, p.PacketID, packet.Success)
			return nil
		}
	}

	if !known {
		// A device publishes to a few topics over and over: remember their
		// ActiveMQ names instead of validating and converting every time.
		name = dest.FromMQTT(topic)
		if c.names == nil || len(c.names) >= 256 {
			c.names = make(map[string]string)
		}
		c.names[topic] = name
	}
	c.lastTopic, c.lastName = topic, name
	d := dest.T(name)
	code := packet.Success
	var waits []<-chan struct{}
	switch {
	case topic[0] == '$' && !c.srv.opts.PublishDollarTopics:
		// ActiveMQ's default: '$' topics belong to the broker; the publish is
		// acknowledged and dropped.
		c.flushRun()
		if !c.dollarWarn {
			c.dollarWarn = true
			c.logger().Warn("dropping publishes to '$' topics (transport.publishDollarTopics=false)", "topic", topic)
		}
		c.b.Stats().Dropped.Add(1)
		code = packet.NotAuthorized
	case !c.canWrite(d):
		c.flushRun()
		c.b.Denied("mqtt", c.ident, c.clientID, authz.Write, d)
		code = packet.NotAuthorized
	default:
		// The payload is borrowed from the read buffer (newConn): copied
		// here, into the message's own allocation.
		m, buf := broker.NewMessage(len(p.Payload), nil)
		if len(buf) > 0 {
			copy(buf, p.Payload)
			m.Payload = buf
		}
		m.Dest, m.QoS, m.Retain, m.Persistent = d, p.QoS, p.Retain, p.QoS > 0
		m.Timestamp = c.now.UnixMilli()
		if c.origin == nil {
			c.origin = &broker.Origin{ConnID: c.id, ClientID: c.clientID, User: c.ident.User}
		}
		m.Origin = c.origin
		m.SetMQTTTopic(topic)
		if c.version == packet.V5 && !p.Properties.IsEmpty() {
			var exp uint32
			m.Props, exp = propsToMessage(p.Properties)
			if exp > 0 {
				m.Expiry = time.Now().Add(time.Duration(exp) * time.Second).UnixMilli()
			}
		}
		if !m.Retain && p.QoS < 2 && (len(c.run) > 0 || c.r.Ready()) {
			c.addToRun(m, p.PacketID)
			return nil
		}
		c.flushRun() // a publish read alone goes on its own, as below
		var n int
		n, waits = c.b.PublishFlow(m)
		if p.QoS == 0 && len(waits) > 0 {
			// A receiver is draining but behind: read no more from this
			// publisher until it has caught up (flow.go).
			broker.WaitFlow(waits, qos0Stall, c.writerDone)
			waits = nil
		}
		if n == 0 && c.version == packet.V5 {
			code = packet.NoMatchingSubscribers
		}
	}
	if c.version < packet.V5 && code.IsError() {
		// MQTT 3.x has no way to say no: acknowledge and drop, as ActiveMQ does.
		code = packet.Success
	}
	switch p.QoS {
	case 1:
		c.ackPublish(packet.TypePuback, p.PacketID, code, waits)
	case 2:
		if code.IsError() {
			// A failed PUBREC ends the exchange: no PUBREL will come.
			c.sess.mu.Lock()
			delete(c.sess.inbound2, uint32(p.PacketID))
			c.sess.mu.Unlock()
		}
		c.ackPublish(packet.TypePubrec, p.PacketID, code, waits)
	}
	return nil
}

// ackPublish acknowledges a publish read alone. When nothing follows it in
// the read buffer, the reader yields next to the writers the publish woke
// (readLoop), and the acknowledgement is queued after that, as a run's are
// (sendLateAcks): queued now, its writer, started last, would run first
// and delay the deliveries by a write.
func (c *conn) ackPublish(t packet.Type, pid uint16, code packet.ReasonCode, waits []<-chan struct{}) {
	if len(waits) == 0 && c.r.Buffered() == 0 {
		c.lateAcks = append(c.lateAcks, ackItem(t, pid, code))
		return
	}
	c.ackAfter(t, pid, code, waits)
}

// busyPublisher is the number of PUBLISH packets after which a connection's
// read buffer grows from 256 bytes to 64 KiB, so a stream of publishes is read
// with few system calls.
const busyPublisher = 16

func (c *conn) ack(t packet.Type, pid uint16, code packet.ReasonCode) {
	c.ackAfter(t, pid, code, nil)
}

// ackAfter sends an acknowledgement once waits are closed, in order with
// the acknowledgements before it.
func (c *conn) ackAfter(t packet.Type, pid uint16, code packet.ReasonCode, waits []<-chan struct{}) {
	c.sendAck(ackItem(t, pid, code), waits)
}

// canWrite checks write permission on a concrete topic, cached per
// connection until users or rights are reloaded.
func (c *conn) canWrite(d dest.Destination) bool {
	if !c.b.AuthzEnabled() {
		return true
	}
	if gen := c.b.SecurityGen(); gen != c.writeGen || c.writeOK == nil || len(c.writeOK) > 4096 {
		c.writeOK = make(map[string]bool)
		c.writeGen = gen
	}
	ok, hit := c.writeOK[d.Name]
	if !hit {
		ok = c.b.Allowed(c.ident, authz.Write, d)
		c.writeOK[d.Name] = ok
	}
	return ok
}

// propsToMessage copies the MQTT 5 properties that travel with a message and
// returns the Message Expiry Interval in seconds.
func propsToMessage(p *packet.Properties) (*broker.Props, uint32) {
	if p.IsEmpty() {
		return nil, 0
	}
	mp := &broker.Props{
		ContentType:     p.ContentType,
		CorrelationData: p.CorrelationData,
		PayloadUTF8:     p.Has(packet.PropPayloadFormatIndicator) && p.PayloadFormatIndicator == 1,
	}
	if p.ResponseTopic != "" {
		mp.ReplyTo = dest.T(dest.FromMQTT(p.ResponseTopic))
	}
	if len(p.UserProperties) > 0 {
		mp.User = make([]broker.KV, len(p.UserProperties))
		for i, u := range p.UserProperties {
			mp.User[i] = broker.KV{Key: u.Key, Value: u.Value}
		}
	}
	var exp uint32
	if p.Has(packet.PropMessageExpiryInterval) {
		exp = p.MessageExpiryInterval
	}
	return mp, exp
}

// fillProps sets the properties of an outgoing PUBLISH for m into dst
// (reused by the writer) and returns false when m has expired.
func fillProps(dst *packet.Properties, m *broker.Message, subIDs []uint32, now time.Time) bool {
	*dst = packet.Properties{SubscriptionIdentifiers: subIDs, UserProperties: dst.UserProperties[:0]}
	if m.Expiry != 0 {
		left := m.Expiry - now.UnixMilli()
		if left <= 0 {
			return false
		}
		// Remaining lifetime, rounded up [MQTT-3.3.2-6].
		dst.MessageExpiryInterval = uint32((left + 999) / 1000)
		dst.Set(packet.PropMessageExpiryInterval)
	}
	mp := m.Props
	if mp == nil {
		return true
	}
	if mp.PayloadUTF8 {
		dst.PayloadFormatIndicator = 1
		dst.Set(packet.PropPayloadFormatIndicator)
	}
	if mp.ContentType != "" {
		dst.ContentType = mp.ContentType
		dst.Set(packet.PropContentType)
	}
	if rt := mp.ReplyTo; rt.Name != "" {
		// MQTT can only address topics; a queue reply-to keeps its
		// qualified ActiveMQ name ("queue://replies").
		dst.ResponseTopic = rt.String()
		if rt.Kind == dest.Topic {
			dst.ResponseTopic = dest.ToMQTT(rt.Name)
		}
		dst.Set(packet.PropResponseTopic)
	}
	if mp.CorrelationData != nil {
		dst.CorrelationData = mp.CorrelationData
		dst.Set(packet.PropCorrelationData)
	}
	for _, kv := range mp.User {
		dst.UserProperties = append(dst.UserProperties, packet.UserProperty{Key: kv.Key, Value: kv.Value})
	}
	return true
}

func quote(s string) string { return "\"" + s + "\"" }

// maxPublishRun bounds the publishes handed to the broker as one run.
const maxPublishRun = 64

// addToRun keeps a QoS 0 or 1 publish for the run being read: publishes to
// one topic that are already buffered go to the broker together
// (broker.PublishRunMatched), which matches the subscriptions once and
// hands the run to a subscriber that takes runs (an MQTT session, a network
// bridge) under one lock. The run is handed over before the reader could
// wait for the network, before a publish to another topic and before any
// other packet, so nothing waits and the order of deliveries and
// acknowledgements is the order of the packets [MQTT-4.6.0-2].
func (c *conn) addToRun(m *broker.Message, pid uint16) {
	if len(c.run) > 0 && c.run[0].Dest != m.Dest {
		c.flushRun()
	}
	c.run = append(c.run, m)
	c.runIDs = append(c.runIDs, pid)
	switch {
	case !c.r.Ready():
		c.flushIdleRun()
	case len(c.run) >= maxPublishRun:
		c.flushRun()
	}
}

// flushIdleRun flushes the run when no whole packet follows it; when
// nothing at all does, the reader is about to yield and wait, and the
// run's PUBACKs are queued after the yield (sendLateAcks).
func (c *conn) flushIdleRun() {
	c.idleRun = c.r.Buffered() == 0
	c.flushRun()
	c.idleRun = false
}

// flushRun publishes the run and acknowledges its QoS 1 publishes, as
// handlePublish does one publish: an acknowledgement waits for receivers
// that asked the publisher to slow down, and the reader itself waits for
// them after QoS 0 publishes.
func (c *conn) flushRun() {
	run, ids := c.run, c.runIDs
	for len(run) > 0 {
		n, matched, waits := c.b.PublishRunMatched(run)
		code := packet.Success
		if matched == 0 && c.version == packet.V5 {
			code = packet.NoMatchingSubscribers
		}
		qos0 := false
		acks := c.runAcks[:0]
		for i, m := range run[:n] {
			switch {
			case m.QoS == 0:
				qos0 = true
			case len(waits) == 0:
				acks = append(acks, ackItem(packet.TypePuback, ids[i], code))
			default:
				c.ackAfter(packet.TypePuback, ids[i], code, waits)
			}
		}
		switch {
		case len(acks) > 0 && c.idleRun:
			c.lateAcks = append(c.lateAcks, acks...) // see readLoop
		case len(acks) > 0:
			c.sendAcks(acks)
		}
		c.runAcks = acks[:0]
		if qos0 && len(waits) > 0 {
			broker.WaitFlow(waits, qos0Stall, c.writerDone)
		}
		run, ids = run[n:], ids[n:]
	}
	clear(c.run)
	c.run, c.runIDs = c.run[:0], c.runIDs[:0]
}
