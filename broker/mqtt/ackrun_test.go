package mqtt_test

import (
	"fmt"
	"testing"

	"github.com/hashi-broker/hashi/broker/mqtt/packet"
)

// PUBACKs that arrive together (one write, applied as one run) free the
// whole window; one split across writes, or followed by half a packet, is
// applied without waiting for more bytes [MQTT-3.3.4-9].
func TestPubackRunsRefillTheWindow(t *testing.T) {
	t.Parallel()
	b := startBroker(t, "")
	rm := props(func(p *packet.Properties) { p.ReceiveMaximum = 5 }, packet.PropReceiveMaximum)
	c, _ := b.connect5("acker", rm)
	c.sub("run/#", 1)
	pub := b.connect311("pub", true)
	for i := range 12 {
		pub.publish("run/x", fmt.Sprint(i), 1, uint16(i+1))
	}
	window := func(n int) []*packet.Publish {
		var w []*packet.Publish
		for range n {
			w = append(w, expect[*packet.Publish](c))
		}
		return w
	}
	ackBytes := func(ps ...*packet.Publish) []byte {
		var all []byte
		for _, p := range ps {
			buf, err := packet.Append(nil, &packet.Ack{PacketType: packet.TypePuback, PacketID: p.PacketID}, packet.V5)
			if err != nil {
				t.Fatal(err)
			}
			all = append(all, buf...)
		}
		return all
	}

	// Five acknowledgements in one write: five more deliveries.
	w := window(5)
	c.expectNothing("a delivery beyond Receive Maximum 5")
	c.sendRaw(ackBytes(w...))
	w = window(5)
	if string(w[0].Payload) != "5" || string(w[4].Payload) != "9" {
		t.Fatalf("second window %q..%q, want 5..9", w[0].Payload, w[4].Payload)
	}

	// One acknowledgement followed by the first byte of the next: the
	// complete one is applied while the broker waits for the rest.
	acks := ackBytes(w[0], w[1])
	c.sendRaw(acks[:len(acks)/2+1])
	if p := expect[*packet.Publish](c); string(p.Payload) != "10" {
		t.Fatalf("after one PUBACK and a half got %q, want 10", p.Payload)
	}
	c.sendRaw(acks[len(acks)/2+1:])
	if p := expect[*packet.Publish](c); string(p.Payload) != "11" {
		t.Fatalf("after the rest got %q, want 11", p.Payload)
	}
	c.expectNothing("a delivery beyond the 12 published")
}

// A subscriber that acknowledges a window of 200 in one write has its read
// buffer grown in the middle of the run, when the first 256 bytes are
// decoded; one PUBACK of 5 bytes (with a reason code) leaves part of one
// buffered then. No acknowledgement is lost on the way, so the window
// refills, and the same holds for a run split in the middle of a packet.
func TestPubackBurstGrowsTheBuffer(t *testing.T) {
	t.Parallel()
	b := startBroker(t, "")
	rm := props(func(p *packet.Properties) { p.ReceiveMaximum = 200 }, packet.PropReceiveMaximum)
	c, _ := b.connect5("burst-acker", rm)
	c.sub("burst/#", 1)
	pub := b.connect311("burst-pub", true)
	for i := range 600 {
		pub.publish("burst/x", fmt.Sprint(i), 1, uint16(i+1))
	}
	next := 0
	window := func() []byte {
		var all []byte
		for range 200 {
			p := expect[*packet.Publish](c)
			if string(p.Payload) != fmt.Sprint(next) {
				t.Fatalf("delivery %q, want %d", p.Payload, next)
			}
			next++
			ack := &packet.Ack{PacketType: packet.TypePuback, PacketID: p.PacketID}
			if next%200 == 1 { // one 5-byte PUBACK per write: 251 bytes of 4-byte ones follow
				ack.ReasonCode = packet.NoMatchingSubscribers
			}
			buf, err := packet.Append(nil, ack, packet.V5)
			if err != nil {
				t.Fatal(err)
			}
			all = append(all, buf...)
		}
		return all
	}
	c.sendRaw(window())
	acks := window()
	c.sendRaw(acks[:len(acks)/2+1])
	c.sendRaw(acks[len(acks)/2+1:])
	c.sendRaw(window())
	c.expectNothing("a delivery beyond the 600 published")
}
