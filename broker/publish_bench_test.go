package broker

import (
	"testing"
	"time"

	"github.com/hashi-broker/hashi/broker/dest"
)

// countSub is a subscriber that only counts what it is handed.
type countSub struct{ n int }

func (c *countSub) Deliver(subs []*Subscription, m *Message) { c.n++ }

// BenchmarkPublishTopic is the broker's share of a QoS 0 publish with a
// 64-byte payload to one subscriber: the message's allocation (as a
// protocol reader makes it), matching, counters and the hand-off.
func BenchmarkPublishTopic(b *testing.B) {
	br := newTestBroker(b, nil)
	sub := &countSub{}
	br.Subscribe(&Subscription{Dest: dest.Destination{Kind: dest.Topic, Name: "devices.*.state"}, Owner: sub})
	d := dest.Destination{Kind: dest.Topic, Name: "devices.lock-42.state"}
	payload := make([]byte, 64)
	now := time.Now().UnixMilli()                     // an MQTT reader stamps a whole read buffer at once
	origin := &Origin{ConnID: 1, ClientID: "lock-42"} // shared by a connection's messages
	b.ReportAllocs()
	for b.Loop() {
		m, buf := NewMessage(len(payload), nil)
		copy(buf, payload)
		m.Payload, m.Dest, m.Timestamp, m.Origin = buf, d, now, origin
		m.SetMQTTTopic("devices/lock-42/state")
		br.Publish(m)
	}
	if sub.n != b.N {
		b.Fatalf("delivered %d of %d", sub.n, b.N)
	}
}
