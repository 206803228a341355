package mqtt

import (
	"github.com/hashi-broker/hashi/authz"
	"github.com/hashi-broker/hashi/broker"
	"github.com/hashi-broker/hashi/broker/dest"
	"github.com/hashi-broker/hashi/broker/mqtt/packet"
)

// handleSubscribe adds or replaces subscriptions, answers SUBACK, then sends
// matching retained messages.
func (c *conn) handleSubscribe(p *packet.Subscribe) error {
	v5 := c.version == packet.V5
	var subID uint32
	if v5 && p.Properties.Has(packet.PropSubscriptionIdentifier) { // nil-safe: no properties decode as nil
		subID = p.Properties.SubscriptionIdentifiers[0]
	}
	codes := make([]packet.ReasonCode, len(p.Subscriptions))
	type retainedFor struct {
		sub *broker.Subscription
		msg []*broker.Message
	}
	var retained []retainedFor

	ss := c.sess
	for i, o := range p.Subscriptions {
		group, filter, shared, err := packet.ParseShared(o.Filter)
		if err != nil || !packet.ValidTopicFilter(filter) {
			codes[i] = c.subFailure(packet.TopicFilterInvalid)
			c.logger().Warn("invalid topic filter in SUBSCRIBE", "filter", o.Filter)
			continue
		}
		if shared && o.NoLocal {
			return protocolError("no local on a shared subscription [MQTT-3.8.3-4]")
		}
		d := dest.T(dest.FromMQTT(filter))
		if !c.b.Allowed(c.ident, authz.Read, d) {
			c.b.Denied("mqtt", c.ident, c.clientID, authz.Read, d)
			codes[i] = c.subFailure(packet.NotAuthorized)
			continue
		}
		qos := min(o.QoS, 2)
		sub := &broker.Subscription{
			Dest:              d,
			Owner:             ss,
			QoS:               qos,
			NoLocal:           o.NoLocal,
			RetainAsPublished: o.RetainAsPublished,
			RetainHandling:    o.RetainHandling,
			SubID:             subID,
			Filter:            o.Filter,
			Share:             group,
			ClientID:          c.clientID,
			ConnID:            c.id,
			Who:               c.ident,
		}
		if !shared {
			sub.Share = ""
		}
		ss.mu.Lock()
		old := ss.subs[o.Filter]
		if ss.subs == nil {
			ss.subs = make(map[string]*broker.Subscription)
		}
		ss.subs[o.Filter] = sub
		ss.mu.Unlock()
		// Replace an existing subscription with the same filter
		// [MQTT-3.8.4-3]; retained messages follow Retain Handling.
		if old != nil {
			c.b.Unsubscribe(old)
		}
		c.b.Subscribe(sub)
		codes[i] = packet.ReasonCode(qos)
		if !shared && (o.RetainHandling == 0 || (o.RetainHandling == 1 && old == nil)) {
			if ms := c.b.Retained(d); len(ms) > 0 {
				retained = append(retained, retainedFor{sub, ms})
			}
		}
	}
	// Retained messages go out right after SUBACK, flagged retained
	// [MQTT-3.3.1-8]. Both are queued under the session's lock, which live
	// deliveries take too: a message published once the client has its
	// SUBACK cannot come before the retained ones.
	authzOn := c.b.AuthzEnabled()
	ss.mu.Lock()
	defer ss.mu.Unlock()
	c.out.push(outItem{ctl: &packet.Suback{PacketID: p.PacketID, ReasonCodes: codes}})
	for _, r := range retained {
		for _, m := range r.msg {
			if authzOn && r.sub.Dest.IsWildcard() && !c.b.Allowed(c.ident, authz.Read, m.Dest) {
				continue
			}
			var ids []uint32
			if r.sub.SubID != 0 {
				ids = []uint32{r.sub.SubID}
			}
			ss.deliverLocked(delivery{msg: m, sub: r.sub, qos: min(r.sub.QoS, m.QoS), retain: true, subIDs: ids})
		}
	}
	return nil
}

// subFailure is the SUBACK code for a refused subscription: 0x80 in MQTT 3.1.1,
// the reason code in MQTT 5.
func (c *conn) subFailure(code packet.ReasonCode) packet.ReasonCode {
	if c.version < packet.V5 {
		return packet.UnspecifiedError // 0x80 "Failure"
	}
	return code
}

func (c *conn) handleUnsubscribe(p *packet.Unsubscribe) error {
	codes := make([]packet.ReasonCode, len(p.Filters))
	ss := c.sess
	for i, f := range p.Filters {
		ss.mu.Lock()
		sub := ss.subs[f]
		delete(ss.subs, f)
		ss.mu.Unlock()
		if sub == nil {
			codes[i] = packet.NoSubscriptionExisted
			continue
		}
		c.b.Unsubscribe(sub)
	}
	c.out.push(outItem{ctl: &packet.Unsuback{PacketID: p.PacketID, ReasonCodes: codes}})
	return nil
}
