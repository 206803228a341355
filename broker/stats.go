package broker

import (
	"context"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashi-broker/hashi/broker/dest"
)

// topicCounters count one topic's traffic, for the console and metrics.
type topicCounters struct {
	name      string      // the topic's; read-only
	swept     atomic.Bool // removed from the map: an origin's cache must not count here
	enqueued  atomic.Uint64
	delivered atomic.Uint64
	last      atomic.Int64 // unix seconds of the last publish
}

// topicStats is a map of counters per concrete topic name; idle entries are
// swept so per-device topics do not grow it without bound.
type topicStats struct{ m sync.Map }

// count adds msgs publishes to name, which o (if not nil) published, and
// the copies delivered of them.
func (t *topicStats) count(o *Origin, name string, msgs, delivered int, now int64) {
	var c *topicCounters
	if o != nil {
		c = o.counters.Load()
	}
	if c == nil || c.name != name || c.swept.Load() {
		v, ok := t.m.Load(name)
		if !ok {
			v, _ = t.m.LoadOrStore(name, &topicCounters{name: name})
		}
		c = v.(*topicCounters)
		if o != nil {
			o.counters.Store(c)
		}
	}
	c.enqueued.Add(uint64(msgs))
	if delivered > 0 {
		c.delivered.Add(uint64(delivered))
	}
	// A read is cheaper than a locked write, and the second rarely changes.
	if c.last.Load() != now {
		c.last.Store(now)
	}
}

func (t *topicStats) sweep(idle time.Duration, now time.Time) {
	cut := now.Add(-idle).Unix()
	t.m.Range(func(k, v any) bool {
		if c := v.(*topicCounters); c.last.Load() < cut {
			c.swept.Store(true)
			t.m.Delete(k)
		}
		return true
	})
}

// TopicStats describes one topic.
type TopicStats struct {
	Name        string `json:"name"`
	Subscribers int    `json:"subscribers"`
	Enqueued    uint64 `json:"enqueued"`
	Delivered   uint64 `json:"dequeued"`
	Retained    bool   `json:"retained"`
	LastPublish int64  `json:"lastPublish"`
}

// Topics lists the topics that saw traffic recently or hold a retained
// message, sorted by name.
func (b *Broker) Topics() []TopicStats {
	seen := map[string]*TopicStats{}
	b.topics.counters.m.Range(func(k, v any) bool {
		c := v.(*topicCounters)
		seen[k.(string)] = &TopicStats{Name: k.(string), Enqueued: c.enqueued.Load(), Delivered: c.delivered.Load(), LastPublish: c.last.Load()}
		return true
	})
	for _, m := range b.AllRetained() {
		ts := seen[m.Dest.Name]
		if ts == nil {
			ts = &TopicStats{Name: m.Dest.Name}
			seen[m.Dest.Name] = ts
		}
		ts.Retained = true
	}
	t := &b.topics
	t.mu.RLock()
	for name, ts := range seen {
		t.subs.Match(name, func(s *Subscription) {
			if s.Dest.Kind == dest.Topic {
				ts.Subscribers++
			}
		})
	}
	t.mu.RUnlock()
	out := make([]TopicStats, 0, len(seen))
	for _, ts := range seen {
		out = append(out, *ts)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// RateSample is one second of broker traffic.
type RateSample struct {
	At        int64  `json:"t"` // unix seconds
	Published uint64 `json:"in"`
	Delivered uint64 `json:"out"`
}

// rates keeps the last rateWindow seconds of traffic.
type rates struct {
	mu      sync.Mutex
	samples []RateSample
}

const rateWindow = 300

// Rates returns the per-second message rates of the last five minutes.
func (b *Broker) Rates() []RateSample {
	b.rates.mu.Lock()
	defer b.rates.mu.Unlock()
	return append([]RateSample(nil), b.rates.samples...)
}

// housekeeping samples rates every second and sweeps idle topic counters.
func (b *Broker) housekeeping(ctx context.Context) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	var lastIn, lastOut uint64
	for i := 0; ; i++ {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			in, out := b.stats.Published.Load(), b.stats.Delivered.Load()
			r := &b.rates
			r.mu.Lock()
			r.samples = append(r.samples, RateSample{At: now.Unix(), Published: in - lastIn, Delivered: out - lastOut})
			if len(r.samples) > rateWindow {
				r.samples = append(r.samples[:0], r.samples[len(r.samples)-rateWindow:]...)
			}
			r.mu.Unlock()
			lastIn, lastOut = in, out
			if i%60 == 59 {
				b.topics.counters.sweep(time.Hour, now)
			}
		}
	}
}

// BrowsedMessage is a queue message as the console shows it.
type BrowsedMessage struct {
	ID         string            `json:"id"`
	Timestamp  int64             `json:"timestamp"`
	Persistent bool              `json:"persistent"`
	Priority   uint8             `json:"priority"`
	Expiry     int64             `json:"expires"`
	Deliveries int               `json:"deliveries"`
	Size       int               `json:"size"`
	Body       string            `json:"body"`
	Headers    map[string]string `json:"headers,omitempty"`
	Dispatched bool              `json:"dispatched"`
}

// Browse returns up to limit messages of queue d without consuming them:
// those waiting first, in order.
func (b *Broker) Browse(d dest.Destination, limit int) ([]BrowsedMessage, bool) {
	q := b.queue(d, false)
	if q == nil {
		return nil, false
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	var out []BrowsedMessage
	for _, e := range q.pending {
		if len(out) >= limit {
			break
		}
		out = append(out, b.browsed(e))
	}
	return out, true
}

func (b *Broker) browsed(e *entry) BrowsedMessage {
	m := e.m
	bm := BrowsedMessage{
		ID: b.MessageID(m), Timestamp: m.Timestamp, Persistent: m.Persistent, Priority: m.Priority,
		Expiry: m.Expiry, Deliveries: e.deliveries, Size: len(m.Payload),
	}
	body := m.Payload
	if len(body) > 4096 {
		body = body[:4096]
	}
	bm.Body = string(body)
	if p := m.Props; p != nil && len(p.User) > 0 {
		bm.Headers = map[string]string{}
		for _, kv := range p.User {
			bm.Headers[kv.Key] = kv.Value
		}
	}
	return bm
}

// ConsumerInfo describes a queue consumer for the console.
type ConsumerInfo struct {
	Queue    string `json:"queue"`
	ID       string `json:"id"`
	ClientID string `json:"clientId"`
	ConnID   uint64 `json:"connectionId"`
	Network  bool   `json:"network"`
	Prefetch int    `json:"prefetch"`
	Inflight int    `json:"inflight"`
	Priority int    `json:"priority"`
}

// Consumers lists every queue consumer.
func (b *Broker) Consumers() []ConsumerInfo {
	var out []ConsumerInfo
	b.queues.mu.RLock()
	qs := make([]*queue, 0, len(b.queues.byName))
	for _, q := range b.queues.byName {
		qs = append(qs, q)
	}
	b.queues.mu.RUnlock()
	for _, q := range qs {
		q.mu.Lock()
		for _, c := range q.consumers {
			out = append(out, ConsumerInfo{Queue: q.d.Name, ID: c.ID, ClientID: c.ClientID, ConnID: c.ConnID,
				Network: c.Network, Prefetch: c.prefetch(), Priority: c.Priority, Inflight: c.Inflight()})
		}
		q.mu.Unlock()
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Queue < out[j].Queue })
	return out
}
