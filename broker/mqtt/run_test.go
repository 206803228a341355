package mqtt_test

import (
	"fmt"
	"slices"
	"testing"

	"github.com/hashi-broker/hashi/broker"
	"github.com/hashi-broker/hashi/broker/dest"
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
