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
