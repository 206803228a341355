package mqtt_test

import (
	"testing"
	"time"

	"github.com/hashi-broker/hashi/broker/mqtt/packet"
	"github.com/hashi-broker/hashi/broker/server/servertest"
)

// Session lifetime and wills.

func sessionExpiry(secs uint32) *packet.Properties {
	return props(func(p *packet.Properties) { p.SessionExpiryInterval = secs }, packet.PropSessionExpiryInterval)
}

// offline waits until the session of id has no connection.
func (b *testBroker) offline(id string) {
	b.t.Helper()
	servertest.WaitFor(b.t, ioTimeout, id+" offline", func() bool {
		info, ok := b.Srv.MQTT().Session(id)
		return ok && !info.Connected
	})
}

// MQTT 5 Session Expiry Interval: the session (subscriptions and queued
// messages) survives a reconnect before the interval [MQTT-3.1.2-23] and is
// gone after it; CONNACK Session Present says which [MQTT-3.2.2-2, MQTT-3.2.2-3].
func TestSessionExpiry_MQTT_3_1_2_23(t *testing.T) {
	t.Parallel()
	b := startBroker(t, "")
	connect := func() (*client, *packet.Connack) {
		return b.connect(packet.V5, &packet.Connect{ClientID: "exp", Properties: sessionExpiry(1)})
	}
	c, ack := connect()
	if ack.SessionPresent {
		t.Fatal("session present on the first connection")
	}
	c.sub("se/#", 1)
	c.disconnect()
	pub := b.connect311("pub", true)
	pub.publish("se/a", "while offline", 1, 1)

	c, ack = connect()
	if !ack.SessionPresent {
		t.Fatal("session not present when reconnecting within the expiry interval")
	}
	if p := c.recv(); string(p.Payload) != "while offline" {
		t.Fatalf("queued message %q", p.Payload)
	}
	c.drop()
	b.offline("exp")
	gone := time.Now()
	servertest.WaitFor(t, 3*time.Second, "session expiry", func() bool { return b.Srv.MQTT().SessionCount() == 1 }) // pub's
	if el := time.Since(gone); el < 900*time.Millisecond {
		t.Errorf("session ended %v after the connection, before its 1 s expiry", el)
	}
	pub.publish("se/a", "nobody", 1, 2)
	c, ack = connect()
	if ack.SessionPresent {
		t.Error("session present after it expired")
	}
	c.expectNothing("a message for an expired session")

	// Session Expiry 0 (the default): the session ends with the connection.
	c0, _ := b.connect5("zero", nil)
	c0.sub("se/#", 1)
	c0.disconnect()
	servertest.WaitFor(t, ioTimeout, "the session with expiry 0 to end with its connection", func() bool {
		_, ok := b.Srv.MQTT().Session("zero")
		return !ok
	})
	// DISCONNECT cannot raise a zero expiry [MQTT-3.14.2-2].
	c0, _ = b.connect5("zero", nil)
	c0.send(&packet.Disconnect{Properties: sessionExpiry(60)})
	c0.expectDisconnect(packet.ProtocolError, ioTimeout)
}

// [MQTT-3.1.2-8] A will goes out when the connection ends without
// DISCONNECT, and [MQTT-3.1.2-10] not after a normal DISCONNECT; MQTT 5
// DISCONNECT 0x04 asks for it (§3.14.2.1).
func TestWillOnDisconnect_MQTT_3_1_2_8(t *testing.T) {
	t.Parallel()
	b := startBroker(t, "")
	watch := b.connect311("watch", true)
	watch.sub("will/#", 1)
	willOf := func(id string) *packet.Connect {
		return &packet.Connect{ClientID: id, CleanStart: true, WillFlag: true, WillQoS: 1, WillTopic: "will/" + id, WillPayload: []byte("gone " + id)}
	}

	c, _ := b.connect(packet.V311, willOf("dropped"))
	c.drop()
	if p := watch.recv(); p.Topic != "will/dropped" {
		t.Fatalf("got %s", p.Topic)
	}
	c, _ = b.connect(packet.V311, willOf("polite"))
	c.disconnect()
	c5, _ := b.connect(packet.V5, willOf("polite5"))
	c5.disconnect()
	c5, _ = b.connect(packet.V5, willOf("withwill"))
	c5.send(&packet.Disconnect{ReasonCode: packet.DisconnectWithWill})
	c5.expectClosed(ioTimeout)
	if p := watch.recv(); p.Topic != "will/withwill" {
		t.Fatalf("got %s, want only the 0x04 will (no will after a normal DISCONNECT)", p.Topic)
	}
	// A protocol violation is not a normal disconnect: the will goes out.
	c, _ = b.connect(packet.V311, willOf("violator"))
	c.send(&packet.Publish{Topic: "bad/#"})
	c.expectClosed(ioTimeout)
	if p := watch.recv(); p.Topic != "will/violator" {
		t.Fatalf("got %s", p.Topic)
	}
	watch.expectNothing("extra wills")

	// A retained will stays for later subscribers [MQTT-3.1.2-17].
	ret := willOf("retained")
	ret.WillRetain = true
	c, _ = b.connect(packet.V311, ret)
	c.drop()
	watch.recv()
	late := b.connect311("late", true)
	late.sub("will/retained", 1)
	if p := late.recv(); !p.Retain || string(p.Payload) != "gone retained" {
		t.Errorf("retained will: retain %v payload %q", p.Retain, p.Payload)
	}
}

// MQTT 5 Will Delay Interval: the will waits for the delay and is cancelled
// when the client reconnects first [MQTT-3.1.3-9]; it goes out when the
// session ends, if that is earlier (§3.1.3.2.2).
func TestWillDelay_MQTT_3_1_3_9(t *testing.T) {
	t.Parallel()
	b := startBroker(t, "")
	watch := b.connect311("watch", true)
	watch.sub("wd/#", 1)
	delayed := func(id string, delay, expiry uint32) *packet.Connect {
		return &packet.Connect{ClientID: id, WillFlag: true, WillQoS: 1, WillTopic: "wd/" + id, WillPayload: []byte(id),
			WillProperties: props(func(p *packet.Properties) { p.WillDelayInterval = delay }, packet.PropWillDelayInterval),
			Properties:     sessionExpiry(expiry)}
	}

	// Comes back within the delay: no will.
	back, _ := b.connect(packet.V5, delayed("back", 1, 60))
	back.drop()
	b.offline("back")
	back, _ = b.connect(packet.V5, &packet.Connect{ClientID: "back", Properties: sessionExpiry(60)})
	// Stays away: the will goes out after the delay.
	away, _ := b.connect(packet.V5, delayed("away", 1, 60))
	away.drop()
	left := time.Now()
	p := watch.recv()
	if p.Topic != "wd/away" {
		t.Fatalf("got the will of %s", p.Topic)
	}
	if el := time.Since(left); el < 900*time.Millisecond {
		t.Errorf("will sent %v after the connection dropped, before its 1 s delay", el)
	}
	// "back" dropped before "away" and reconnected: its delay passed too.
	watch.expectNothing("the will of a client that came back")

	// Session expiry (1 s) shorter than the will delay (60 s): the will goes
	// out when the session ends.
	short, _ := b.connect(packet.V5, delayed("short", 60, 1))
	short.drop()
	if p := watch.recv(); p.Topic != "wd/short" {
		t.Fatalf("got %s", p.Topic)
	}
}

// Session takeover and wills (MQTT 5 §3.1.4, §3.1.2.5): a takeover that
// continues the session (Clean Start 0) cancels a delayed will
// [MQTT-3.1.3-9]; one with Clean Start 1 ends the old session, which
// publishes the will at once.
func TestWillOnTakeover_MQTT_3_1_3_9(t *testing.T) {
	t.Parallel()
	b := startBroker(t, "")
	watch := b.connect311("watch", true)
	watch.sub("to/#", 1)
	withWill := func(id string) *packet.Connect {
		return &packet.Connect{ClientID: id, WillFlag: true, WillQoS: 1, WillTopic: "to/" + id, WillPayload: []byte(id),
			WillProperties: props(func(p *packet.Properties) { p.WillDelayInterval = 60 }, packet.PropWillDelayInterval),
			Properties:     sessionExpiry(60)}
	}
	old, _ := b.connect(packet.V5, withWill("resumed"))
	b.connect(packet.V5, &packet.Connect{ClientID: "resumed", Properties: sessionExpiry(60)})
	old.expectDisconnect(packet.SessionTakenOver, ioTimeout)

	old, _ = b.connect(packet.V5, withWill("replaced"))
	b.connect(packet.V5, &packet.Connect{ClientID: "replaced", CleanStart: true})
	old.expectDisconnect(packet.SessionTakenOver, ioTimeout)
	if p := watch.recv(); p.Topic != "to/replaced" {
		t.Fatalf("got the will of %s, want to/replaced", p.Topic)
	}
	watch.expectNothing("the will of a continued session")
}

// Clean Session 1 (3.1.1) discards any existing session and the new one ends
// with the connection [MQTT-3.1.2-6, MQTT-3.2.2-1]; an MQTT 5 DISCONNECT may
// lower the Session Expiry Interval to 0, ending the session at once.
func TestCleanSessionDiscards_MQTT_3_1_2_6(t *testing.T) {
	t.Parallel()
	b := startBroker(t, "")
	c := b.connect311("cs", false)
	c.sub("cs/#", 1)
	c.disconnect()
	b.offline("cs")
	c, ack := b.connect(packet.V311, &packet.Connect{ClientID: "cs", CleanStart: true})
	if ack.SessionPresent {
		t.Error("clean session: session present = 1")
	}
	pub := b.connect311("pub", true)
	pub.publish("cs/a", "x", 1, 1)
	c.expectNothing("a message for the discarded subscription")
	c.disconnect()
	_, ack = b.connect(packet.V311, &packet.Connect{ClientID: "cs", CleanStart: false})
	if ack.SessionPresent {
		t.Error("session present after a clean session ended")
	}

	// A CONNECT that takes over a live clean session does not resume it:
	// the session ends with the connection it belonged to.
	live := b.connect311("live", true)
	live.sub("cs/#", 1)
	_, ack = b.connect(packet.V311, &packet.Connect{ClientID: "live", CleanStart: false})
	if ack.SessionPresent {
		t.Error("session present after taking over a clean session")
	}

	c5, _ := b.connect(packet.V5, &packet.Connect{ClientID: "lower", Properties: sessionExpiry(60)})
	c5.sub("cs/#", 1)
	c5.send(&packet.Disconnect{Properties: sessionExpiry(0)})
	c5.expectClosed(ioTimeout)
	servertest.WaitFor(t, ioTimeout, "session ended by DISCONNECT with expiry 0", func() bool {
		_, ok := b.Srv.MQTT().Session("lower")
		return !ok
	})
}
