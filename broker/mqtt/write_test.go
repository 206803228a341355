package mqtt_test

import (
	"bytes"
	"fmt"
	"math/rand"
	"testing"

	"github.com/hashi-broker/hashi/broker/mqtt/packet"
)

// Small and large payloads (large ones are written from the message with
// writev) arrive intact and in order, for MQTT 3.1.1 and 5.
func TestMixedPayloadSizesArriveIntact(t *testing.T) {
	t.Parallel()
	b := startBroker(t, "")
	rng := rand.New(rand.NewSource(1))
	for _, v5 := range []bool{false, true} {
		var sub, pub *client
		if v5 {
			sub, _ = b.connect5(fmt.Sprint("mix-sub5"), nil)
			pub, _ = b.connect5(fmt.Sprint("mix-pub5"), nil)
		} else {
			sub = b.connect311("mix-sub", true)
			pub = b.connect311("mix-pub", true)
		}
		sub.sub("mix/#", 1)
		var sent [][]byte
		for i := 0; i < 300; i++ {
			n := rng.Intn(100)
			if i%3 == 0 {
				n = 2000 + rng.Intn(40000)
			}
			p := make([]byte, n)
			rng.Read(p)
			sent = append(sent, p)
			pub.send(&packet.Publish{Topic: "mix/t", Payload: p, QoS: byte(i % 2), PacketID: uint16(i + 1)})
		}
		for i, want := range sent {
			got := expect[*packet.Publish](sub)
			if got.QoS == 1 {
				sub.send(&packet.Ack{PacketType: packet.TypePuback, PacketID: got.PacketID})
			}
			if !bytes.Equal(got.Payload, want) {
				t.Fatalf("v5=%v message %d: %d bytes, want %d", v5, i, len(got.Payload), len(want))
			}
		}
	}
}
