package mqtt_test

import (
	"fmt"
	"slices"
	"testing"

	"github.com/hashi-broker/hashi/broker"
	"github.com/hashi-broker/hashi/broker/dest"
	"github.com/hashi-broker/hashi/broker/mqtt/packet"
)

// A run published at once (as a bridge does with a batch) reaches a session
// in order, QoS 0 and QoS 1 interleaved; offline, its QoS 0 messages are
// dropped and its QoS 1 ones kept for the session.
func TestDeliverRunKeepsOrder(t *testing.T) {
	b := startBroker(t, "")
	sub := b.connect311("run-sub", false)
	sub.sub("devices/#", 1)
	core := b.Srv.Core()
	run := func(prefix string, qos ...byte) (ms []*broker.Message, all, reliable []string) {
		origin := &broker.Origin{ClientID: "bridge", Bridge: "tokyo"}
		for i, q := range qos {
			p := fmt.Sprintf("%s%d", prefix, i)
			ms = append(ms, &broker.Message{Dest: dest.T("devices.lock-42.state"), Payload: []byte(p), QoS: q, Origin: origin})
			all = append(all, p)
			if q > 0 {
				reliable = append(reliable, p)
			}
		}
		return ms, all, reliable
	}

	ms, all, _ := run("a", 0, 0, 1, 0, 1, 1, 0, 2, 0, 0, 1, 0)
	if n, waits := core.PublishRun(ms); n != len(ms) || len(waits) != 0 {
		t.Fatalf("published %d of %d, %d waits", n, len(ms), len(waits))
	}
	for i, want := range all {
		p := sub.recv()
		if string(p.Payload) != want || p.QoS != min(ms[i].QoS, 1) {
			t.Fatalf("delivery %d: %q at QoS %d, want %q at QoS %d", i, p.Payload, p.QoS, want, min(ms[i].QoS, 1))
		}
	}

	sub.disconnect()
	ms, _, reliable := run("b", 0, 1, 0, 0, 1, 0, 1)
	if n, _ := core.PublishRun(ms); n != len(ms) {
		t.Fatalf("published %d of %d while offline", n, len(ms))
	}
	sub = b.connect311("run-sub", false)
	if got := sub.recvPayloads(len(reliable)); !slices.Equal(got, reliable) {
		t.Fatalf("after reconnecting got %v, want the QoS 1 ones %v", got, reliable)
	}
	sub.expectNothing("a QoS 0 message published while offline")
}

// A run of QoS 1 messages longer than the client's Receive Maximum fills the
// window with the run's first messages, keeps the rest pending, and sends
// them in order as the client acknowledges [MQTT-3.3.4-9]; packet ids in
// flight are distinct, and nothing is lost or sent twice.
func TestDeliverRunRespectsReceiveMaximum(t *testing.T) {
	b := startBroker(t, "")
	rm := props(func(p *packet.Properties) { p.ReceiveMaximum = 4 }, packet.PropReceiveMaximum)
	sub, _ := b.connect5("run-rm", rm)
	sub.sub("devices/#", 1)
	core := b.Srv.Core()
	origin := &broker.Origin{ClientID: "bridge", Bridge: "tokyo"}
	var ms []*broker.Message
	for i := range 30 {
		q := byte(1)
		if i%5 == 4 {
			q = 0
		}
		ms = append(ms, &broker.Message{Dest: dest.T("devices.lock-42.state"), Payload: []byte(fmt.Sprint(i)), QoS: q, Origin: origin})
	}
	if n, _ := core.PublishRun(ms); n != len(ms) {
		t.Fatalf("published %d of %d", n, len(ms))
	}
	// Everything the broker queued for the client arrives before the answer
	// to a PINGREQ: four QoS 1 messages at first, then one for each PUBACK.
	var got []string
	var window []*packet.Publish
	inFlight := map[uint16]bool{}
	for {
		for _, p := range sub.ping() {
			pub := p.(*packet.Publish)
			got = append(got, string(pub.Payload))
			if pub.QoS == 1 {
				if inFlight[pub.PacketID] {
					t.Fatalf("packet id %d sent while in flight", pub.PacketID)
				}
				inFlight[pub.PacketID] = true
				window = append(window, pub)
			}
		}
		if len(window) > 4 {
			t.Fatalf("%d QoS 1 messages in flight with Receive Maximum 4", len(window))
		}
		if len(window) == 0 {
			break
		}
		sub.send(&packet.Ack{PacketType: packet.TypePuback, PacketID: window[0].PacketID})
		delete(inFlight, window[0].PacketID)
		window = window[1:]
	}
	// In order within each QoS: QoS 0 messages do not wait for the window
	// (as with messages delivered one by one).
	for q := range byte(2) {
		var in, out []string
		for _, m := range ms {
			if m.QoS == q {
				in = append(in, string(m.Payload))
			}
		}
		for _, p := range got {
			if slices.Contains(in, p) {
				out = append(out, p)
			}
		}
		if !slices.Equal(out, in) {
			t.Fatalf("QoS %d: got %v, want %v (all: %v)", q, out, in, got)
		}
	}
}
