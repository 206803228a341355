package broker

import (
	"time"

	"github.com/hashi-broker/hashi/broker/dest"
)

// retain stores m as the retained message of its topic, or clears the topic's
// retained message when the payload is empty [MQTT-3.3.1-6, MQTT-3.3.1-7].
// A message older than the one held (by origin timestamp: retained values
// arrive from other brokers too) does not replace it; it reports whether m
// was applied.
func (b *Broker) retain(m *Message) bool {
	t := &b.topics
	t.retMu.Lock()
	defer t.retMu.Unlock()
	for _, old := range t.retained.Get(m.Dest.Name) {
		if old.Timestamp > m.Timestamp {
			return false
		}
		t.retained.Remove(m.Dest.Name, old)
	}
	if len(m.Payload) > 0 {
		t.retained.Add(m.Dest.Name, m)
	}
	return true
}

// StoreRetained records a retained message from another broker without
// delivering it (network sync). An older value is ignored.
func (b *Broker) StoreRetained(m *Message) bool {
	if m.Dest.Kind != dest.Topic {
		return false
	}
	b.prepare(m)
	return b.retain(m)
}

// AllRetained returns every retained message.
func (b *Broker) AllRetained() []*Message {
	return b.Retained(dest.T(">"))
}

// Retained returns the retained messages whose topics match pattern, skipping
// expired ones.
func (b *Broker) Retained(pattern dest.Destination) []*Message {
	if pattern.Kind != dest.Topic {
		return nil
	}
	t := &b.topics
	now := time.Now()
	var out []*Message
	t.retMu.RLock()
	t.retained.Match(pattern.Name, func(m *Message) {
		if !m.Expired(now) {
			out = append(out, m)
		}
	})
	t.retMu.RUnlock()
	return out
}

// RetainedCount is the number of topics holding a retained message.
func (b *Broker) RetainedCount() int {
	t := &b.topics
	t.retMu.RLock()
	defer t.retMu.RUnlock()
	return t.retained.Len()
}

// WatchRetained calls fn for every retained publish (and clear) accepted by
// this broker, synchronously: fn must not block. Network bridges use it to
// keep retained values network-wide.
func (b *Broker) WatchRetained(fn func(*Message)) (cancel func()) {
	t := &b.topics
	t.retMu.Lock()
	defer t.retMu.Unlock()
	id := len(t.retWatch) + 1
	for _, w := range t.retWatch {
		id = max(id, w.id+1)
	}
	t.retWatch = append(t.retWatch, retWatcher{id, fn})
	return func() {
		t.retMu.Lock()
		defer t.retMu.Unlock()
		for i, w := range t.retWatch {
			if w.id == id {
				t.retWatch = append(t.retWatch[:i:i], t.retWatch[i+1:]...)
				return
			}
		}
	}
}

type retWatcher struct {
	id int
	fn func(*Message)
}

func (b *Broker) notifyRetained(m *Message) {
	t := &b.topics
	t.retMu.RLock()
	ws := t.retWatch
	t.retMu.RUnlock()
	for _, w := range ws {
		w.fn(m)
	}
}
