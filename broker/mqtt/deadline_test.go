package mqtt_test

import (
	"testing"
	"time"

	"github.com/hashi-broker/hashi/broker/mqtt"
	"github.com/hashi-broker/hashi/broker/mqtt/packet"
)

// The deadline used to write CONNACK must not outlive it: a client that is
// sent its first message long after connecting still gets it. (A leftover
// deadline once disconnected every client at its first delivery five seconds
// after CONNECT.)
func TestNoWriteDeadlineAfterConnack(t *testing.T) {
	defer mqtt.SetHandshakeWriteTimeout(50 * time.Millisecond)()
	b := startBroker(t, "")
	sub := b.connect311("late-sub", true)
	sub.send(&packet.Subscribe{PacketID: 1, Subscriptions: []packet.Subscription{{Filter: "late/t", QoS: 0}}})
	expect[*packet.Suback](sub)
	time.Sleep(200 * time.Millisecond) // outlive the handshake deadline on purpose
	pub := b.connect311("late-pub", true)
	pub.send(&packet.Publish{Topic: "late/t", Payload: []byte("x")})
	if p := expect[*packet.Publish](sub); string(p.Payload) != "x" {
		t.Fatalf("got %q", p.Payload)
	}
}

// A resumed session's queued messages follow CONNACK, never precede it
// [MQTT-3.2.0-1]: the writer is held until CONNACK is written.
func TestConnackBeforeQueuedMessages_MQTT_3_2_0_1(t *testing.T) {
	t.Parallel()
	b := startBroker(t, "")
	for round := 0; round < 10; round++ {
		c := b.connect311("resume", false)
		c.sub("q/#", 1)
		c.disconnect()
		b.offline("resume")
		pub := b.connect311("pub", true)
		for i := 0; i < 200; i++ {
			pub.pub(&packet.Publish{Topic: "q/x", Payload: []byte("m"), QoS: 1, PacketID: uint16(i + 1)})
		}
		pub.disconnect()
		// connect reads the first packet and fails unless it is CONNACK.
		c, ack := b.connect(packet.V311, &packet.Connect{ClientID: "resume"})
		if !ack.SessionPresent {
			t.Fatal("session not present")
		}
		for i := 0; i < 200; i++ {
			p := expect[*packet.Publish](c)
			c.send(&packet.Ack{PacketType: packet.TypePuback, PacketID: p.PacketID})
		}
		c.disconnect()
		b.offline("resume")
	}
}
