package broker

import (
	"testing"
	"time"

	"github.com/hashi-broker/hashi/broker/dest"
)

func topicEnqueued(b *Broker, name string) (uint64, bool) {
	for _, ts := range b.Topics() {
		if ts.Name == name {
			return ts.Enqueued, true
		}
	}
	return 0, false
}

// An origin remembers the counters of its last topic; switching topics and
// a sweep of idle counters must not send its counts to the wrong entry or
// to one the console no longer sees.
func TestTopicCountersPerOrigin(t *testing.T) {
	b := newTestBroker(t, nil)
	sub := &countSub{}
	b.Subscribe(&Subscription{Dest: dest.Destination{Kind: dest.Topic, Name: "devices.>"}, Owner: sub})
	device := &Origin{ConnID: 1, ClientID: "lock-42"}
	other := &Origin{ConnID: 2, ClientID: "lock-43"}
	publish := func(o *Origin, name string) {
		b.Publish(&Message{Dest: dest.Destination{Kind: dest.Topic, Name: name}, Origin: o})
	}
	for range 3 {
		publish(device, "devices.lock-42.state")
	}
	publish(device, "devices.lock-42.battery")
	publish(other, "devices.lock-42.state")
	publish(device, "devices.lock-42.state")
	publish(nil, "devices.lock-42.battery")
	want := map[string]uint64{"devices.lock-42.state": 5, "devices.lock-42.battery": 2}
	for name, n := range want {
		if got, _ := topicEnqueued(b, name); got != n {
			t.Errorf("%s: enqueued %d, want %d", name, got, n)
		}
	}

	// Both entries go idle and are swept; the device's cache still points
	// at the swept one.
	b.topics.counters.sweep(time.Minute, time.Now().Add(time.Hour))
	if _, ok := topicEnqueued(b, "devices.lock-42.state"); ok {
		t.Fatal("an idle topic's counters were not swept")
	}
	publish(device, "devices.lock-42.state")
	publish(device, "devices.lock-42.state")
	if got, ok := topicEnqueued(b, "devices.lock-42.state"); !ok || got != 2 {
		t.Fatalf("after the sweep: enqueued %d (listed %v), want 2", got, ok)
	}
	if sub.n != 9 {
		t.Fatalf("delivered %d, want 9", sub.n)
	}
}
