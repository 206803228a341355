package mqtt_test

import (
	"fmt"
	"slices"
	"testing"

	"github.com/hashi-broker/hashi/broker/mqtt/packet"
)

// SUBSCRIBE and UNSUBSCRIBE handling.

// An invalid topic filter is refused in its SUBACK slot (0x80 in 3.1.1, 0x8F
// in MQTT 5) while the other filters of the same SUBSCRIBE are granted
// [MQTT-3.8.4-5 (3.1.1: MQTT-3.9.3-?)]; the connection stays up.
func TestSubscribeInvalidFilter(t *testing.T) {
	t.Parallel()
	b := startBroker(t, "")
	for _, v := range []byte{packet.V311, packet.V5} {
		c, _ := b.connect(v, &packet.Connect{ClientID: fmt.Sprint("bad-filter-", v), CleanStart: true})
		sa := c.subscribe(1, nil,
			packet.Subscription{Filter: "a/#/b", QoS: 1},
			packet.Subscription{Filter: "ok/+", QoS: 1},
			packet.Subscription{Filter: "a+/b", QoS: 0},
			packet.Subscription{Filter: "$share//x", QoS: 0})
		bad := packet.UnspecifiedError
		if v == packet.V5 {
			bad = packet.TopicFilterInvalid
		}
		if want := []packet.ReasonCode{bad, packet.GrantedQoS1, bad, bad}; !slices.Equal(sa.ReasonCodes, want) {
			t.Errorf("level %d: SUBACK %v, want %v", v, sa.ReasonCodes, want)
		}
		c.expectNothing("after a partly refused SUBSCRIBE")
	}
}

// After UNSUBSCRIBE nothing more arrives for the filter [MQTT-3.10.4-?]; the
// MQTT 5 UNSUBACK says 0x11 for a filter that had no subscription.
func TestUnsubscribe(t *testing.T) {
	t.Parallel()
	b := startBroker(t, "")
	c, _ := b.connect5("unsub", nil)
	c.subscribe(1, nil, packet.Subscription{Filter: "u/a", QoS: 1}, packet.Subscription{Filter: "u/b", QoS: 1})
	c.send(&packet.Unsubscribe{PacketID: 2, Filters: []string{"u/a", "u/none"}})
	ua := expect[*packet.Unsuback](c)
	if ua.PacketID != 2 || !slices.Equal(ua.ReasonCodes, []packet.ReasonCode{packet.Success, packet.NoSubscriptionExisted}) {
		t.Fatalf("UNSUBACK %+v", ua)
	}
	pub := b.connect311("pub", true)
	pub.publish("u/a", "gone", 1, 1)
	pub.publish("u/b", "kept", 1, 2)
	if p := c.recv(); p.Topic != "u/b" {
		t.Fatalf("got %s after unsubscribing u/a", p.Topic)
	}
	c.expectNothing("after UNSUBSCRIBE")
	if info, _ := b.Srv.MQTT().Session("unsub"); !slices.Equal(info.Subs, []string{"u/b"}) {
		t.Errorf("session subscriptions %v", info.Subs)
	}
}

// Delivery QoS is the minimum of the published and granted QoS, for live and
// retained messages [MQTT-3.8.4-8 (3.1.1: MQTT-3.3.5-1)].
func TestDeliveryQoSDowngrade(t *testing.T) {
	t.Parallel()
	b := startBroker(t, "")
	pub := b.connect311("pub", true)
	pub.pub(&packet.Publish{Topic: "dg/r", Payload: []byte("r"), QoS: 2, PacketID: 1, Retain: true})
	c := b.connect311("dg", true)
	c.sub("dg/#", 1)
	if p := c.recv(); p.QoS != 1 || !p.Retain {
		t.Errorf("retained QoS 2 to a QoS 1 subscription: QoS %d retain %v", p.QoS, p.Retain)
	}
	pub.publish("dg/live", "2", 2, 2)
	pub.publish("dg/live", "0", 0, 0)
	if p := c.recv(); p.QoS != 1 || string(p.Payload) != "2" {
		t.Errorf("QoS 2 publish: delivered at QoS %d", p.QoS)
	}
	if p := c.recv(); p.QoS != 0 || string(p.Payload) != "0" {
		t.Errorf("QoS 0 publish: delivered at QoS %d", p.QoS)
	}
	// An empty payload that is not retained is an ordinary message.
	pub.publish("dg/live", "", 1, 3)
	if p := c.recv(); len(p.Payload) != 0 {
		t.Errorf("empty message arrived with %q", p.Payload)
	}
}

// A shared subscription prefers connected members: messages for the group go
// to the online member while the other's persistent session is offline.
func TestSharedPrefersConnected(t *testing.T) {
	t.Parallel()
	b := startBroker(t, "")
	away := b.connect311("away", false)
	away.sub("$share/g/work", 1)
	here := b.connect311("here", true)
	here.sub("$share/g/work", 1)
	away.disconnect()
	b.offline("away")
	pub := b.connect311("pub", true)
	for i := range 6 {
		pub.publish("work", fmt.Sprint(i), 1, uint16(i+1))
	}
	if got := here.recvPayloads(6); !slices.Equal(got, []string{"0", "1", "2", "3", "4", "5"}) {
		t.Fatalf("online member got %v", got)
	}
	away = b.connect311("away", false)
	away.expectNothing("messages queued for the offline member")
}

// MQTT 3.1 (protocol name MQIsdp, level 3) clients connect and exchange
// messages with 3.1.1 and 5.0 clients.
func TestMQTT31Client(t *testing.T) {
	t.Parallel()
	b := startBroker(t, "")
	old, ack := b.connect(packet.V31, &packet.Connect{ClientID: "legacy", CleanStart: true})
	if ack.SessionPresent {
		t.Error("session present")
	}
	old.sub("mix/#", 2)
	v5, _ := b.connect5("modern", nil)
	v5.pub(&packet.Publish{Topic: "mix/a", Payload: []byte("hi"), QoS: 2, PacketID: 1,
		Properties: props(func(p *packet.Properties) { p.ContentType = "text/plain" }, packet.PropContentType)})
	if p := old.recv(); string(p.Payload) != "hi" || p.QoS != 2 || p.Properties != nil {
		t.Errorf("3.1 client got %q QoS %d props %+v", p.Payload, p.QoS, p.Properties)
	}
}

// Topic names reach subscribers exactly as published, whatever the mapping
// to ActiveMQ destination names does inside [MQTT-4.7.3-?]; a subscription
// to one of them matches only it.
func TestTopicNamesRoundTrip(t *testing.T) {
	t.Parallel()
	b := startBroker(t, "")
	all := b.connect311("all", true)
	all.sub("#", 0)
	pub := b.connect311("pub", true)
	topics := []string{"/lead", "a//b", "trail/", "sp ace/x", "dots.in.name", "star*", "gt>", "ü/日本", "a/b"}
	for _, topic := range topics {
		pub.publish(topic, topic, 1, 1)
	}
	for _, want := range topics {
		if p := all.recv(); p.Topic != want || string(p.Payload) != want {
			t.Errorf("published to %q, delivered as %q", want, p.Topic)
		}
	}
	for _, topic := range topics {
		c := b.connect311("exact", true)
		c.sub(topic, 0)
		for _, other := range topics {
			pub.publish(other, other, 1, 1)
		}
		got := c.ping()
		if len(got) != 1 || got[0].(*packet.Publish).Topic != topic {
			var names []string
			for _, p := range got {
				names = append(names, p.(*packet.Publish).Topic)
			}
			t.Errorf("subscription to %q got %q", topic, names)
		}
		all.ping()
	}
}

// SUBSCRIBE to an existing filter replaces the subscription: one copy, at the
// new QoS [MQTT-3.8.4-3].
func TestResubscribeReplaces_MQTT_3_8_4_3(t *testing.T) {
	t.Parallel()
	b := startBroker(t, "")
	c := b.connect311("re", true)
	c.sub("re/x", 0)
	c.sub("re/x", 2)
	pub := b.connect311("pub", true)
	pub.publish("re/x", "m", 2, 1)
	if p := c.recv(); p.QoS != 2 {
		t.Errorf("delivered at QoS %d, want the new QoS 2", p.QoS)
	}
	c.expectNothing("a second copy from the replaced subscription")
}

// Retained messages come right after SUBACK: a message published once the
// subscriber has its SUBACK arrives after them, not before (the two used to
// race). Repeated, since the race took a rare interleaving.
func TestRetainedBeforeLaterPublishes(t *testing.T) {
	t.Parallel()
	b := startBroker(t, "")
	pub := b.connect311("rb-pub", true)
	pub.pub(&packet.Publish{Topic: "rb/kept", Payload: []byte("kept"), Retain: true, QoS: 1, PacketID: 1})
	for i := range 200 {
		sub := b.connect311(fmt.Sprintf("rb-sub-%d", i), true)
		sub.send(&packet.Subscribe{PacketID: 1, Subscriptions: []packet.Subscription{{Filter: "rb/#"}}})
		expect[*packet.Suback](sub)
		pub.pub(&packet.Publish{Topic: "rb/live", Payload: []byte("live")})
		if p := sub.recv(); p.Topic != "rb/kept" || !p.Retain {
			t.Fatalf("attempt %d: first came %s (retain %v), want the retained rb/kept", i, p.Topic, p.Retain)
		}
		if p := sub.recv(); p.Topic != "rb/live" {
			t.Fatalf("attempt %d: then came %s, want rb/live", i, p.Topic)
		}
		sub.nc.Close()
	}
}
