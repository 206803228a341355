package broker

import (
	"time"

	"github.com/hashi-broker/hashi/broker/dest"
)

// retain stores m as the retained message of its topic, or clears the topic's
// retained message when the payload is empty [MQTT-3.3.1-6, MQTT-3.3.1-7].
func (b *Broker) retain(m *Message) {
	t := &b.topics
	t.retMu.Lock()
	defer t.retMu.Unlock()
	for _, old := range t.retained.Get(m.Dest.Name) {
		t.retained.Remove(m.Dest.Name, old)
	}
	if len(m.Payload) > 0 {
		t.retained.Add(m.Dest.Name, m)
	}
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
