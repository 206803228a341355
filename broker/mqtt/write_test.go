package mqtt_test

import (
	"bytes"
	"fmt"
	"math/rand"
	"strings"
	"testing"
	"time"

	"github.com/hashi-broker/hashi/broker/mqtt"
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

// At light load the publisher's goroutine writes a delivery itself
// (writeInline), but never waits for a subscriber that does not read: the
// publisher's messages are all acknowledged while the subscriber's small
// socket is full, and once it reads it gets every message whole and in
// order, the one the full socket cut short included.
func TestInlineWritesHandOverOnAFullSocket(t *testing.T) {
	t.Parallel()
	// All in flight at once: the window does not hold any back.
	b := startBrokerOpts(t, "", mqtt.Options{MaxInflight: 5000})
	sub := b.dialSmallBuffer(packet.V311)
	sub.handshake(&packet.Connect{ClientID: "sleepy-lock", CleanStart: true})
	sub.sub("doors/+/state", 1)
	pub := b.connect311("front-door", true)

	// 6 MB, more than a loopback socket's send buffer grows to (4 MiB).
	const n, size = 3200, 1900 // below largePayload: copied into the batch
	payload := func(i int) []byte {
		return []byte(fmt.Sprintf("%06d%s", i, strings.Repeat(string(rune('a'+i%26)), size-6)))
	}
	acked := make(chan int, 1)
	go func() {
		got := 0
		for got < n {
			p, err := pub.next(ioTimeout)
			if err != nil {
				break
			}
			if a, ok := p.(*packet.Ack); ok && a.PacketType == packet.TypePuback {
				got++
			}
		}
		acked <- got
	}()
	for i := range n {
		pub.send(&packet.Publish{Topic: "doors/1/state", Payload: payload(i), QoS: 1, PacketID: uint16(i + 1)})
		// Light load: the subscriber's writer was quiet for longer than
		// quietGap (100 µs) before each message, so each is written on
		// the publisher's goroutine until the socket is full. (A spin:
		// time.Sleep this short takes a millisecond.)
		for start := time.Now(); time.Since(start) < 200*time.Microsecond; {
		}
	}
	if got := <-acked; got != n {
		t.Fatalf("publisher: %d of %d PUBACKs while the subscriber did not read", got, n)
	}
	for i := range n {
		p := expect[*packet.Publish](sub)
		if !bytes.Equal(p.Payload, payload(i)) {
			t.Fatalf("message %d: got %.10q… (%d bytes)", i, p.Payload, len(p.Payload))
		}
		sub.send(&packet.Ack{PacketType: packet.TypePuback, PacketID: p.PacketID})
	}
}
