package mqtt_test

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hashi-broker/hashi/broker/mqtt/packet"
	"github.com/hashi-broker/hashi/broker/server/servertest"
)

// MQTT 5 features of the server, each against raw packets.

func withAlias(a uint16) *packet.Properties {
	return props(func(p *packet.Properties) { p.TopicAlias = a }, packet.PropTopicAlias)
}

// Inbound topic aliases: a PUBLISH with topic and alias sets the mapping, an
// empty topic uses it [MQTT-3.3.2-12]; alias 0 or above the Topic Alias
// Maximum is DISCONNECT 0x94 [MQTT-3.3.2-8, MQTT-3.3.2-9]; an unknown alias is
// a protocol error.
func TestTopicAliasInbound_MQTT_3_3_2_9(t *testing.T) {
	t.Parallel()
	b := startBroker(t, "")
	sub := b.connect311("sub", true)
	sub.sub("alias/#", 0)

	c, ack := b.connect5("aliaser", nil)
	max := ack.Properties.TopicAliasMaximum
	if !ack.Properties.Has(packet.PropTopicAliasMaximum) || max == 0 {
		t.Fatalf("CONNACK without Topic Alias Maximum: %+v", ack.Properties)
	}
	c.pub(&packet.Publish{Topic: "alias/one", Payload: []byte("1"), QoS: 1, PacketID: 1, Properties: withAlias(max)})
	c.pub(&packet.Publish{Payload: []byte("2"), QoS: 1, PacketID: 2, Properties: withAlias(max)})
	c.pub(&packet.Publish{Topic: "alias/two", Payload: []byte("3"), QoS: 1, PacketID: 3, Properties: withAlias(max)}) // remap
	c.pub(&packet.Publish{Payload: []byte("4"), QoS: 1, PacketID: 4, Properties: withAlias(max)})
	var got []string
	for range 4 {
		p := sub.recv()
		got = append(got, p.Topic+"="+string(p.Payload))
	}
	if want := []string{"alias/one=1", "alias/one=2", "alias/two=3", "alias/two=4"}; !slices.Equal(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}

	for _, tc := range []struct {
		alias uint16
		topic string
		code  packet.ReasonCode
	}{
		{max + 1, "alias/x", packet.TopicAliasInvalid},
		{7, "", packet.ProtocolError}, // never set on this connection
	} {
		c, _ := b.connect5(fmt.Sprint("bad-alias-", tc.alias), nil)
		c.send(&packet.Publish{Topic: tc.topic, Payload: []byte("x"), Properties: withAlias(tc.alias)})
		c.expectDisconnect(tc.code, ioTimeout)
	}
	sub.expectNothing("after bad aliases")
}

// Topic Alias 0 is not permitted [MQTT-3.3.2-8]: DISCONNECT 0x94 (Topic
// Alias invalid), as for an alias above the maximum.
func TestTopicAliasZero_MQTT_3_3_2_8(t *testing.T) {
	t.Parallel()
	// The codec will not encode alias 0: patch the bytes of alias 1.
	raw, _ := packet.Append(nil, &packet.Publish{Topic: "alias/x", Payload: []byte("x"), Properties: withAlias(1)}, packet.V5)
	raw = bytes.Replace(raw, []byte{byte(packet.PropTopicAlias), 0, 1}, []byte{byte(packet.PropTopicAlias), 0, 0}, 1)
	if _, _, err := packet.Decode(raw, packet.V5); !errors.Is(err, packet.TopicAliasInvalid) {
		t.Fatalf("codec decodes Topic Alias 0 as %v, want 0x94 Topic Alias invalid", err)
	}
	b := startBroker(t, "")
	c, _ := b.connect5("alias0", nil)
	c.sendRaw(raw)
	c.expectDisconnect(packet.TopicAliasInvalid, ioTimeout)
}

// Receive Maximum: the server never has more unacknowledged QoS 1/2
// deliveries to a client than the client's Receive Maximum [MQTT-3.3.4-9];
// PUBREC does not free a slot, PUBCOMP does [MQTT-4.9.0-2].
func TestReceiveMaximum_MQTT_3_3_4_9(t *testing.T) {
	t.Parallel()
	b := startBroker(t, "")
	rm := props(func(p *packet.Properties) { p.ReceiveMaximum = 3 }, packet.PropReceiveMaximum)
	c, _ := b.connect5("slowpoke", rm)
	c.sub("rm/#", 2)
	pub := b.connect311("pub", true)
	for i := range 10 {
		pub.publish("rm/q1", fmt.Sprint(i), 1, uint16(i+1))
	}
	var window []*packet.Publish
	for range 3 {
		window = append(window, expect[*packet.Publish](c))
	}
	c.expectNothing("a 4th delivery with Receive Maximum 3")
	c.send(&packet.Ack{PacketType: packet.TypePuback, PacketID: window[0].PacketID})
	window = append(window[1:], expect[*packet.Publish](c))
	c.expectNothing("a delivery beyond the window after one PUBACK")
	// Drain the rest in order.
	seen := []string{"0"}
	for len(window) > 0 {
		p := window[0]
		seen = append(seen, string(p.Payload))
		c.send(&packet.Ack{PacketType: packet.TypePuback, PacketID: p.PacketID})
		window = window[1:]
		if len(seen)+len(window) < 10 {
			window = append(window, expect[*packet.Publish](c))
		}
	}
	if want := strings.Fields("0 1 2 3 4 5 6 7 8 9"); !slices.Equal(seen, want) {
		t.Fatalf("order %v", seen)
	}

	// QoS 2: a PUBREC keeps the slot, PUBCOMP frees it.
	for i := range 4 {
		pub.publish("rm/q2", fmt.Sprint(i), 2, uint16(i+20))
	}
	var q2 []*packet.Publish
	for range 3 {
		q2 = append(q2, expect[*packet.Publish](c))
	}
	for _, p := range q2 {
		c.send(&packet.Ack{PacketType: packet.TypePubrec, PacketID: p.PacketID})
		if rel := expect[*packet.Ack](c); rel.PacketType != packet.TypePubrel {
			t.Fatalf("got %s, want PUBREL", rel.PacketType)
		}
	}
	c.expectNothing("a 4th QoS 2 delivery while 3 await PUBCOMP")
	c.send(&packet.Ack{PacketType: packet.TypePubcomp, PacketID: q2[0].PacketID})
	if p := expect[*packet.Publish](c); string(p.Payload) != "3" {
		t.Fatalf("after PUBCOMP got %q", p.Payload)
	}
}

// A resumed session honours the Receive Maximum of the new connection when it
// resends in-flight messages [MQTT-3.3.4-9].
func TestReceiveMaximumOnResend_MQTT_3_3_4_9(t *testing.T) {
	t.Parallel()
	b := startBroker(t, "")
	conn := func(rmax uint16, clean bool) (*client, *packet.Connack) {
		return b.connect(packet.V5, &packet.Connect{ClientID: "resume", CleanStart: clean,
			Properties: props(func(p *packet.Properties) { p.ReceiveMaximum = rmax; p.SessionExpiryInterval = 60 },
				packet.PropReceiveMaximum, packet.PropSessionExpiryInterval)})
	}
	c, _ := conn(5, true)
	c.sub("resume", 1)
	pub := b.connect311("pub", true)
	for i := range 8 {
		pub.publish("resume", fmt.Sprint(i), 1, uint16(i+1))
	}
	for range 5 {
		expect[*packet.Publish](c)
	}
	c.drop()
	servertest.WaitFor(t, ioTimeout, "session offline", func() bool {
		info, _ := b.Srv.MQTT().Session("resume")
		return !info.Connected
	})
	c, ack := conn(2, false)
	if !ack.SessionPresent {
		t.Fatal("session not present")
	}
	window := []*packet.Publish{expect[*packet.Publish](c), expect[*packet.Publish](c)}
	c.expectNothing("more than Receive Maximum 2 resends in flight")
	var got []string
	for len(window) > 0 {
		p := window[0]
		window = window[1:]
		got = append(got, string(p.Payload))
		c.send(&packet.Ack{PacketType: packet.TypePuback, PacketID: p.PacketID})
		if len(got)+len(window) < 8 {
			window = append(window, expect[*packet.Publish](c))
		}
	}
	c.expectNothing("after all eight")
	if want := strings.Fields("0 1 2 3 4 5 6 7"); !slices.Equal(got, want) {
		t.Fatalf("delivery order %v, want %v", got, want)
	}
}

// Maximum Packet Size: a message larger than the client's limit is not sent
// (and counted as dropped) [MQTT-3.1.2-25]; smaller ones still flow.
func TestMaximumPacketSize_MQTT_3_1_2_25(t *testing.T) {
	t.Parallel()
	b := startBroker(t, "")
	mps := props(func(p *packet.Properties) { p.MaximumPacketSize = 100 }, packet.PropMaximumPacketSize)
	c, _ := b.connect5("small", mps)
	c.sub("mps/#", 1)
	pub := b.connect311("pub", true)
	pub.publish("mps/big", strings.Repeat("x", 200), 1, 1)
	pub.publish("mps/big0", strings.Repeat("y", 200), 0, 0)
	pub.publish("mps/small", "ok", 1, 2)
	if p := c.recv(); p.Topic != "mps/small" {
		t.Fatalf("got %s (%d bytes), want only mps/small", p.Topic, len(p.Payload))
	}
	c.expectNothing("an oversized message")
	info, _ := b.Srv.MQTT().Session("small")
	if info.Dropped != 2 || info.Inflight != 0 {
		t.Errorf("dropped %d in flight %d, want 2 dropped and nothing left in flight", info.Dropped, info.Inflight)
	}
}

// Message Expiry Interval: a message that expires while its session is
// offline is not delivered; one still alive carries the remaining interval
// [MQTT-3.3.2-5, MQTT-3.3.2-6].
func TestMessageExpiry_MQTT_3_3_2_5(t *testing.T) {
	t.Parallel()
	b := startBroker(t, "")
	persist := props(func(p *packet.Properties) { p.SessionExpiryInterval = 60 }, packet.PropSessionExpiryInterval)
	c, _ := b.connect5("expiring", persist)
	c.sub("exp/#", 1)
	c.disconnect()
	b.offline("expiring") // messages now queue instead of going in flight

	pub, _ := b.connect5("pub", nil)
	expiry := func(s uint32) *packet.Properties {
		return props(func(p *packet.Properties) { p.MessageExpiryInterval = s }, packet.PropMessageExpiryInterval)
	}
	pub.pub(&packet.Publish{Topic: "exp/short", Payload: []byte("short"), QoS: 1, PacketID: 1, Properties: expiry(1)})
	pub.pub(&packet.Publish{Topic: "exp/long", Payload: []byte("long"), QoS: 1, PacketID: 2, Properties: expiry(100)})
	pub.pub(&packet.Publish{Topic: "exp/none", Payload: []byte("none"), QoS: 1, PacketID: 3})
	pub.pub(&packet.Publish{Topic: "ret/short", Payload: []byte("short"), QoS: 1, PacketID: 4, Retain: true, Properties: expiry(1)})
	pub.pub(&packet.Publish{Topic: "ret/long", Payload: []byte("long"), QoS: 1, PacketID: 5, Retain: true, Properties: expiry(100)})
	published := time.Now()
	time.Sleep(1100 * time.Millisecond) // the expiry itself is under test

	c, ack := b.connect(packet.V5, &packet.Connect{ClientID: "expiring", Properties: persist})
	if !ack.SessionPresent {
		t.Fatal("session not present")
	}
	p := c.recv()
	if string(p.Payload) != "long" {
		t.Fatalf("first delivery %q, want long (short expired)", p.Payload)
	}
	left := p.Properties.MessageExpiryInterval
	maxLeft := uint32(100 - time.Since(published).Truncate(time.Second).Seconds())
	if !p.Properties.Has(packet.PropMessageExpiryInterval) || left > maxLeft || left < 95 {
		t.Errorf("remaining expiry %d (present %v), want <= %d", left, p.Properties.Has(packet.PropMessageExpiryInterval), maxLeft)
	}
	if p := c.recv(); string(p.Payload) != "none" || p.Properties.Has(packet.PropMessageExpiryInterval) {
		t.Errorf("got %q with expiry %v, want none without expiry", p.Payload, p.Properties.Has(packet.PropMessageExpiryInterval))
	}
	c.expectNothing("an expired message")

	// An expired retained message is not sent to new subscribers either.
	late, _ := b.connect5("late", nil)
	late.sub("ret/#", 1)
	got := late.ping()
	if len(got) != 1 {
		t.Fatalf("retained after expiry: %v, want only ret/long", types(got))
	}
	if p := got[0].(*packet.Publish); p.Topic != "ret/long" || p.Properties.MessageExpiryInterval > maxLeft {
		t.Errorf("retained %s with expiry %d", p.Topic, p.Properties.MessageExpiryInterval)
	}
}

// Subscription Identifiers are returned on matching deliveries, including
// retained ones, and replaced when the subscription is [MQTT-3.8.4-?,
// MQTT-3.3.4-3]; a subscription without one delivers none.
func TestSubscriptionIdentifiers(t *testing.T) {
	t.Parallel()
	b := startBroker(t, "")
	pub := b.connect311("pub", true)
	pub.pub(&packet.Publish{Topic: "sid/ret", Payload: []byte("r"), QoS: 1, PacketID: 1, Retain: true})

	c, _ := b.connect5("sid", nil)
	subID := func(id uint32) *packet.Properties {
		return props(func(p *packet.Properties) { p.SubscriptionIdentifiers = []uint32{id} })
	}
	c.subscribe(1, subID(7), packet.Subscription{Filter: "sid/#", QoS: 1})
	if p := c.recv(); !p.Retain || !slices.Equal(p.Properties.SubscriptionIdentifiers, []uint32{7}) {
		t.Fatalf("retained: retain %v ids %v", p.Retain, p.Properties.SubscriptionIdentifiers)
	}
	pub.publish("sid/live", "l", 1, 2)
	if p := c.recv(); !slices.Equal(p.Properties.SubscriptionIdentifiers, []uint32{7}) {
		t.Fatalf("live: ids %v", p.Properties.SubscriptionIdentifiers)
	}
	c.subscribe(2, subID(268435455), packet.Subscription{Filter: "sid/#", QoS: 1, RetainHandling: 2})
	pub.publish("sid/live", "l2", 1, 3)
	if p := c.recv(); !slices.Equal(p.Properties.SubscriptionIdentifiers, []uint32{268435455}) {
		t.Fatalf("after resubscribe: ids %v", p.Properties.SubscriptionIdentifiers)
	}
	c.subscribe(3, nil, packet.Subscription{Filter: "sid/#", QoS: 1, RetainHandling: 2})
	pub.publish("sid/live", "l3", 1, 4)
	if p := c.recv(); p.Properties.Has(packet.PropSubscriptionIdentifier) {
		t.Fatalf("subscription without identifier: ids %v", p.Properties.SubscriptionIdentifiers)
	}
}

// No Local: a client's own publishes are not sent back on a no-local
// subscription [MQTT-3.8.3-3]; other clients' are; without the option the
// client receives its own.
func TestNoLocal_MQTT_3_8_3_3(t *testing.T) {
	t.Parallel()
	b := startBroker(t, "")
	c, _ := b.connect5("nl", nil)
	c.subscribe(1, nil, packet.Subscription{Filter: "nl/#", QoS: 1, NoLocal: true})
	echo, _ := b.connect5("echo", nil)
	echo.sub("nl/#", 1)
	other, _ := b.connect5("other", nil)

	c.pub(&packet.Publish{Topic: "nl/mine", Payload: []byte("mine"), QoS: 1, PacketID: 1})
	other.pub(&packet.Publish{Topic: "nl/theirs", Payload: []byte("theirs"), QoS: 1, PacketID: 1})
	if got := echo.recvPayloads(2); !slices.Equal(got, []string{"mine", "theirs"}) {
		t.Fatalf("plain subscriber got %v", got)
	}
	if p := c.recv(); p.Topic != "nl/theirs" {
		t.Fatalf("no-local subscriber got %s", p.Topic)
	}
	c.expectNothing("own message on a no-local subscription")

	// Without No Local a client gets its own messages back.
	echo.send(&packet.Publish{Topic: "nl/echo", Payload: []byte("echo")})
	if got := echo.ping(); len(got) != 1 || string(got[0].(*packet.Publish).Payload) != "echo" {
		t.Fatalf("plain subscriber's own message: got %v", types(got))
	}
	if p := c.recv(); p.Topic != "nl/echo" {
		t.Fatalf("no-local subscriber got %s", p.Topic)
	}

	// No Local on a shared subscription is a protocol error [MQTT-3.8.3-4].
	// The codec will not encode it: set the No Local bit (the last byte is
	// the options of the only filter) by hand.
	raw, _ := packet.Append(nil, &packet.Subscribe{PacketID: 2, Subscriptions: []packet.Subscription{{Filter: "$share/g/nl"}}}, packet.V5)
	raw[len(raw)-1] |= 0x04
	c.sendRaw(raw)
	c.expectDisconnect(packet.ProtocolError, ioTimeout)
}

// Retain As Published keeps the RETAIN flag on live deliveries; otherwise it
// is cleared [MQTT-3.3.1-12, MQTT-3.3.1-13]; MQTT 3.1.1 clears it
// [MQTT-3.3.1-9].
func TestRetainAsPublished_MQTT_3_3_1_12(t *testing.T) {
	t.Parallel()
	b := startBroker(t, "")
	rap, _ := b.connect5("rap", nil)
	rap.subscribe(1, nil, packet.Subscription{Filter: "rap", QoS: 1, RetainAsPublished: true})
	plain, _ := b.connect5("plain", nil)
	plain.sub("rap", 1)
	old := b.connect311("old", true)
	old.sub("rap", 1)

	pub := b.connect311("pub", true)
	pub.pub(&packet.Publish{Topic: "rap", Payload: []byte("r"), QoS: 1, PacketID: 1, Retain: true})
	pub.pub(&packet.Publish{Topic: "rap", Payload: []byte("n"), QoS: 1, PacketID: 2})
	for _, tc := range []struct {
		c    *client
		want []bool
	}{{rap, []bool{true, false}}, {plain, []bool{false, false}}, {old, []bool{false, false}}} {
		a, b := tc.c.recv(), tc.c.recv()
		if got := []bool{a.Retain, b.Retain}; !slices.Equal(got, tc.want) {
			t.Errorf("%s: retain flags %v, want %v", tc.c.nc.LocalAddr(), got, tc.want)
		}
	}
	// Retained messages sent because of a new subscription keep RETAIN
	// [MQTT-3.3.1-8], for every client level.
	late := b.connect311("late", true)
	late.sub("rap", 1)
	if p := late.recv(); !p.Retain || string(p.Payload) != "r" {
		t.Errorf("retained on subscribe: retain %v payload %q", p.Retain, p.Payload)
	}
}

// Retain Handling: 0 sends retained messages on every subscribe, 1 only when
// the subscription is new, 2 never [MQTT-3.3.1-9, MQTT-3.3.1-10, MQTT-3.3.1-11].
func TestRetainHandling_MQTT_3_3_1_10(t *testing.T) {
	t.Parallel()
	b := startBroker(t, "")
	pub := b.connect311("pub", true)
	pub.pub(&packet.Publish{Topic: "rh/a", Payload: []byte("a"), QoS: 1, PacketID: 1, Retain: true})

	for _, tc := range []struct {
		rh          byte
		first, more int
	}{{0, 1, 1}, {1, 1, 0}, {2, 0, 0}} {
		c, _ := b.connect5(fmt.Sprint("rh", tc.rh), nil)
		for i, want := range []int{tc.first, tc.more, tc.more} {
			c.subscribe(uint16(i+1), nil, packet.Subscription{Filter: "rh/#", QoS: 1, RetainHandling: tc.rh})
			got := len(c.ping())
			if got != want {
				t.Errorf("retain handling %d, subscribe #%d: %d retained messages, want %d", tc.rh, i+1, got, want)
			}
		}
	}
}

// Shared subscriptions: members of $share/group/filter get messages round
// robin, each message once [MQTT-4.8.2-?]; a new shared subscription gets no
// retained messages (§4.8.2).
func TestSharedSubscriptions(t *testing.T) {
	t.Parallel()
	b := startBroker(t, "")
	pub := b.connect311("pub", true)
	pub.pub(&packet.Publish{Topic: "jobs/old", Payload: []byte("retained"), QoS: 1, PacketID: 1, Retain: true})

	w1, _ := b.connect5("w1", nil)
	w2 := b.connect311("w2", true) // MQTT 3.1.1 clients can join too
	w1.sub("$share/workers/jobs/#", 1)
	w2.sub("$share/workers/jobs/#", 1)
	w1.expectNothing("retained message on a shared subscription")
	w2.expectNothing("retained message on a shared subscription")
	plain := b.connect311("plain", true)
	plain.sub("jobs/#", 1)
	plain.recv() // the retained one

	const n = 10
	for i := range n {
		pub.publish("jobs/new", fmt.Sprint(i), 1, uint16(i+2))
	}
	a, c := drain(w1), drain(w2)
	if len(a) != n/2 || len(c) != n/2 {
		t.Fatalf("split %d/%d, want round robin %d/%d (w1 %v, w2 %v)", len(a), len(c), n/2, n/2, a, c)
	}
	all := slices.Sorted(slices.Values(append(a, c...)))
	if want := slices.Sorted(slices.Values(strings.Fields("0 1 2 3 4 5 6 7 8 9"))); !slices.Equal(all, want) {
		t.Fatalf("shared members got %v together", all)
	}
	if got := plain.recvPayloads(n); len(got) != n {
		t.Fatalf("plain subscriber got %d", len(got))
	}
}

// drain receives (and acknowledges) everything queued for c.
func drain(c *client) []string {
	c.t.Helper()
	var out []string
	for _, p := range c.ping() {
		pp, ok := p.(*packet.Publish)
		if !ok {
			c.t.Fatalf("got %s", p.Type())
		}
		c.ackPublish(pp)
		out = append(out, string(pp.Payload))
	}
	return out
}
