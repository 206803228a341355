package mqtt_test

import (
	"fmt"
	"slices"
	"testing"

	"github.com/hashi-broker/hashi/broker/mqtt/packet"
)

// burst encodes ps into one write, so that the broker reads them from one
// buffer and publishes the publishes among them in runs.
func (c *client) burst(ps ...packet.Packet) {
	c.t.Helper()
	var buf []byte
	for _, p := range ps {
		var err error
		if buf, err = packet.Append(buf, p, c.v); err != nil {
			c.t.Fatalf("encode %s: %v", p.Type(), err)
		}
	}
	c.sendRaw(buf)
}

// answer is what the publisher expects back, in order: an acknowledgement
// (type and id) or a PINGRESP (type only).
type answer struct {
	t  packet.Type
	id uint16
}

func (a answer) String() string { return fmt.Sprintf("%s %d", a.t, a.id) }

func answerOf(p packet.Packet) answer {
	if a, ok := p.(*packet.Ack); ok {
		return answer{a.PacketType, a.PacketID}
	}
	return answer{t: p.Type()}
}

// Publishes read together go to the broker in runs of one topic, but every
// subscriber sees them in the order they were sent and the publisher gets
// its acknowledgements in that order too [MQTT-4.6.0-2], across topic
// changes, QoS 0 and 2, a dropped '$' publish, a PINGREQ, and runs longer
// than one run may be.
func TestPublishBurstKeepsOrder(t *testing.T) {
	b := startBroker(t, "")
	sub := b.connect311("burst-sub", true)
	sub.sub("devices/#", 1) // QoS 2 arrives as 1: recv answers one delivery at a time
	onlyB := b.connect311("burst-sub-b", true)
	onlyB.sub("devices/b", 1)
	pub := b.connect311("burst-pub", true)

	var (
		ps      []packet.Packet
		want    []answer
		sent    []string
		id      uint16
		publish = func(topic string, qos byte) {
			p := &packet.Publish{Topic: topic, QoS: qos, Payload: fmt.Appendf(nil, "m%d", len(ps))}
			if qos > 0 {
				id++
				p.PacketID = id
				want = append(want, answer{[]packet.Type{0, packet.TypePuback, packet.TypePubrec}[qos], id})
			}
			if topic[0] != '$' {
				sent = append(sent, string(p.Payload))
			}
			ps = append(ps, p)
		}
	)
	publish("devices/a", 1)
	publish("devices/a", 1)
	publish("devices/a", 0)
	publish("devices/b", 1)
	publish("devices/a", 2)
	publish("devices/a", 1)
	// The QoS 2 publish again, before its PUBREL: acknowledged again after
	// the publish before it, delivered never twice [MQTT-4.3.3-9].
	again := *ps[4].(*packet.Publish)
	again.Dup = true
	ps = append(ps, &again)
	want = append(want, answer{packet.TypePubrec, again.PacketID})
	publish("$SYS/x", 1) // acknowledged and dropped
	ps = append(ps, &packet.Pingreq{})
	want = append(want, answer{t: packet.TypePingresp})
	for i := range 150 { // more than one run may hold
		publish("devices/c", byte(i%3%2))
	}
	publish("devices/a", 1)
	pub.burst(ps...)

	var got []answer
	for len(got) < len(want) {
		got = append(got, answerOf(pub.read()))
	}
	if !slices.Equal(got, want) {
		t.Fatalf("publisher got\n%v\nwant\n%v", got, want)
	}
	pub.send(&packet.Ack{PacketType: packet.TypePubrel, PacketID: 4})
	if a := expect[*packet.Ack](pub); a.PacketType != packet.TypePubcomp || a.PacketID != 4 {
		t.Fatalf("got %s %d, want PUBCOMP 4", a.PacketType, a.PacketID)
	}
	if got := sub.recvPayloads(len(sent)); !slices.Equal(got, sent) {
		t.Fatalf("subscriber got\n%v\nwant\n%v", got, sent)
	}
	sub.expectNothing("after the burst")
	if got := onlyB.recvPayloads(1); got[0] != "m3" {
		t.Fatalf("the devices/b subscriber got %v, want [m3]", got)
	}
	onlyB.expectNothing("publishes to other topics")
}

// A PUBLISH read together with a SUBSCRIBE that follows it is published
// before the subscription exists: the client does not get its own message
// back.
func TestPublishBurstBeforeSubscribe(t *testing.T) {
	b := startBroker(t, "")
	c := b.connect311("early", true)
	c.burst(
		&packet.Publish{Topic: "rooms/1/temp", QoS: 1, PacketID: 1, Payload: []byte("21.5")},
		&packet.Publish{Topic: "rooms/1/temp", QoS: 1, PacketID: 2, Payload: []byte("21.6")},
		&packet.Subscribe{PacketID: 3, Subscriptions: []packet.Subscription{{Filter: "rooms/#", QoS: 1}}},
	)
	for _, want := range []answer{{packet.TypePuback, 1}, {packet.TypePuback, 2}, {packet.TypeSuback, 0}} {
		got := c.read()
		if s, ok := got.(*packet.Suback); ok {
			if s.PacketID != 3 {
				t.Fatalf("SUBACK for %d, want 3", s.PacketID)
			}
			continue
		}
		if a := answerOf(got); a != want {
			t.Fatalf("got %v, want %v", a, want)
		}
	}
	c.expectNothing("publishes sent before the SUBSCRIBE")
}

// An MQTT 5 publisher is told No matching subscribers for each publish of
// a run nobody receives, and Success once someone does.
func TestPublishBurstNoMatchingSubscribersV5(t *testing.T) {
	b := startBroker(t, "")
	pub, _ := b.connect5("v5-burst", nil)
	burst := func(base uint16) []packet.ReasonCode {
		var ps []packet.Packet
		for i := range uint16(5) {
			ps = append(ps, &packet.Publish{Topic: "alarms/door", QoS: 1, PacketID: base + i, Payload: []byte("open")})
		}
		pub.burst(ps...)
		var codes []packet.ReasonCode
		for i := range uint16(5) {
			a := expect[*packet.Ack](pub)
			if a.PacketType != packet.TypePuback || a.PacketID != base+i {
				t.Fatalf("got %s %d, want PUBACK %d", a.PacketType, a.PacketID, base+i)
			}
			codes = append(codes, a.ReasonCode)
		}
		return codes
	}
	if got := burst(1); !slices.Equal(got, slices.Repeat([]packet.ReasonCode{packet.NoMatchingSubscribers}, 5)) {
		t.Fatalf("without a subscriber: %v", got)
	}
	sub, _ := b.connect5("v5-burst-sub", nil)
	sub.sub("alarms/#", 1)
	if got := burst(10); !slices.Equal(got, slices.Repeat([]packet.ReasonCode{packet.Success}, 5)) {
		t.Fatalf("with a subscriber: %v", got)
	}
	if got := sub.recvPayloads(5); len(got) != 5 {
		t.Fatalf("subscriber got %v", got)
	}
}

// A run of publishes followed by PUBACKs for the client's own deliveries,
// all in one write: PUBACKs do not end a run, so the run must be published
// when the buffer runs dry. A client that subscribes to what it publishes
// (and waits for its PUBACKs) otherwise waits forever.
func TestPublishBurstEndedByPubacks(t *testing.T) {
	b := startBroker(t, "")
	c := b.connect311("burst-self", true)
	c.sub("self/#", 1)
	other := b.connect311("burst-other", true)
	other.publish("self/in", "first", 1, 1)
	d := expect[*packet.Publish](c)
	c.burst(
		&packet.Publish{Topic: "out/x", QoS: 1, PacketID: 7, Payload: []byte("a")},
		&packet.Publish{Topic: "out/x", QoS: 1, PacketID: 8, Payload: []byte("b")},
		&packet.Ack{PacketType: packet.TypePuback, PacketID: d.PacketID},
	)
	for _, id := range []uint16{7, 8} {
		if a := expect[*packet.Ack](c); a.PacketType != packet.TypePuback || a.PacketID != id {
			t.Fatalf("got %s %d, want PUBACK %d", a.PacketType, a.PacketID, id)
		}
	}
}
