package broker

import (
	"fmt"
	"slices"
	"testing"

	"github.com/hashi-broker/hashi/broker/dest"
)

// runRecorder takes runs and remembers how each message came.
type runRecorder struct {
	got  []string
	runs []int // length of each DeliverRun call; 0 for a Deliver call
	// congestAfter, when > 0, makes Congested return a signal once that
	// many messages arrived.
	congestAfter int
	signal       chan struct{}
}

func (r *runRecorder) Deliver(_ []*Subscription, m *Message) {
	r.got = append(r.got, string(m.Payload))
	r.runs = append(r.runs, 0)
}

func (r *runRecorder) DeliverRun(_ []*Subscription, ms []*Message) {
	for _, m := range ms {
		r.got = append(r.got, string(m.Payload))
	}
	r.runs = append(r.runs, len(ms))
}

func (r *runRecorder) Congested(*Message) <-chan struct{} {
	if r.congestAfter > 0 && len(r.got) >= r.congestAfter {
		return r.signal
	}
	return nil
}

// plainRecorder is a subscriber without DeliverRun.
type plainRecorder struct{ got []string }

func (p *plainRecorder) Deliver(_ []*Subscription, m *Message) {
	p.got = append(p.got, string(m.Payload))
}

func runOf(d dest.Destination, n int, retainAt int) ([]*Message, []string) {
	var ms []*Message
	var want []string
	for i := range n {
		p := fmt.Sprintf("m%d", i)
		ms = append(ms, &Message{Dest: d, Payload: []byte(p), Retain: i == retainAt, Origin: &Origin{ClientID: "bridge"}})
		want = append(want, p)
	}
	return ms, want
}

func TestPublishRun(t *testing.T) {
	d := dest.Destination{Kind: dest.Topic, Name: "devices.lock-42.state"}

	t.Run("in order, retained one by one", func(t *testing.T) {
		b := newTestBroker(t, nil)
		r := &runRecorder{}
		b.Subscribe(&Subscription{Dest: dest.Destination{Kind: dest.Topic, Name: "devices.>"}, Owner: r})
		ms, want := runOf(d, 10, 4)
		if n, waits := b.PublishRun(ms); n != 10 || len(waits) != 0 {
			t.Fatalf("published %d with %d waits, want 10 and none", n, len(waits))
		}
		if !slices.Equal(r.got, want) {
			t.Fatalf("delivered %v, want %v", r.got, want)
		}
		if !slices.Equal(r.runs, []int{4, 0, 5}) {
			t.Fatalf("runs %v, want [4 0 5]: the retained message alone", r.runs)
		}
		if rm := b.Retained(d); len(rm) != 1 || string(rm[0].Payload) != "m4" {
			t.Fatalf("retained %v, want m4", rm)
		}
		s := b.Stats()
		if s.Published.Load() != 10 || s.Delivered.Load() != 10 {
			t.Fatalf("published %d, delivered %d; want 10 and 10", s.Published.Load(), s.Delivered.Load())
		}
		if got, _ := topicEnqueued(b, d.Name); got != 10 {
			t.Fatalf("topic enqueued %d, want 10", got)
		}
		for i, m := range ms {
			if m.Seq == 0 || i > 0 && m.Seq <= ms[i-1].Seq {
				t.Fatalf("message %d has sequence %d after %d", i, m.Seq, ms[max(i-1, 0)].Seq)
			}
		}
	})

	t.Run("several subscribers get every message", func(t *testing.T) {
		b := newTestBroker(t, nil)
		r, p := &runRecorder{}, &plainRecorder{}
		b.Subscribe(&Subscription{Dest: d, Owner: r})
		b.Subscribe(&Subscription{Dest: dest.Destination{Kind: dest.Topic, Name: "devices.*.state"}, Owner: p})
		ms, want := runOf(d, 7, -1)
		b.PublishRun(ms)
		if !slices.Equal(r.got, want) || !slices.Equal(p.got, want) {
			t.Fatalf("delivered %v and %v, want %v for both", r.got, p.got, want)
		}
		if b.Stats().Delivered.Load() != 14 {
			t.Fatalf("delivered %d copies, want 14", b.Stats().Delivered.Load())
		}
	})

	t.Run("runs fit an eighth of the pending limit", func(t *testing.T) {
		b := newTestBroker(t, nil)
		r := &runRecorder{}
		b.Subscribe(&Subscription{Dest: d, Owner: r, PendingLimit: 24})
		ms, want := runOf(d, 8, -1)
		b.PublishRun(ms)
		if !slices.Equal(r.got, want) || !slices.Equal(r.runs, []int{3, 3, 2}) {
			t.Fatalf("delivered %v in runs %v, want %v in [3 3 2]", r.got, r.runs, want)
		}
	})

	t.Run("stops when a receiver is congested", func(t *testing.T) {
		b := newTestBroker(t, nil)
		r := &runRecorder{congestAfter: 3, signal: make(chan struct{})}
		b.Subscribe(&Subscription{Dest: d, Owner: r, PendingLimit: 16})
		ms, _ := runOf(d, 8, -1)
		n, waits := b.PublishRun(ms)
		if n != 4 || len(waits) != 1 || waits[0] != r.signal {
			t.Fatalf("published %d with waits %v, want 4 and the receiver's signal", n, waits)
		}
		if len(r.got) != 4 {
			t.Fatalf("delivered %d before the wait, want 4", len(r.got))
		}
		r.congestAfter = 0
		if n, waits := b.PublishRun(ms[n:]); n != 4 || len(waits) != 0 {
			t.Fatalf("the rest: published %d with %d waits, want 4 and none", n, len(waits))
		}
	})

	t.Run("no subscriber", func(t *testing.T) {
		b := newTestBroker(t, nil)
		ms, _ := runOf(d, 5, -1)
		if n, _ := b.PublishRun(ms); n != 5 || b.Stats().NoSubscriber.Load() != 5 {
			t.Fatalf("published %d, %d without subscriber; want 5 and 5", n, b.Stats().NoSubscriber.Load())
		}
	})
}
