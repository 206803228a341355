package broker

import (
	"sync"
	"time"

	"github.com/hashi-broker/hashi/authz"
	"github.com/hashi-broker/hashi/broker/dest"
	"github.com/hashi-broker/hashi/config"
)

// topicSpace holds topic subscriptions and retained messages.
//
// Lock order: topicSpace.mu, then a subscriber's own locks. Deliver is called
// without topicSpace.mu held.
type topicSpace struct {
	mu     sync.RWMutex
	subs   *dest.Index[*Subscription] // by pattern
	shares map[shareKey]*shareGroup

	retMu    sync.RWMutex
	retained *dest.Index[*Message] // by concrete name, one message per name
	retWatch []retWatcher

	counters topicStats

	pol policies
}

func (t *topicSpace) init(cfg *config.Config) {
	t.subs = dest.NewIndex[*Subscription](true)
	t.retained = dest.NewIndex[*Message](true)
	t.shares = make(map[shareKey]*shareGroup)
	t.setPolicy(cfg)
}

func (t *topicSpace) setPolicy(cfg *config.Config) { t.pol.set(cfg) }

var matchPool = sync.Pool{New: func() any { s := make([]*Subscription, 0, 16); return &s }}

// Publish hands m to every matching subscriber and returns how many
// subscriptions matched. m must not be changed afterwards.
func (b *Broker) Publish(m *Message) int {
	b.prepare(m)
	b.stats.Published.Add(1)
	return b.publishTopic(m, nil)
}

func (b *Broker) prepare(m *Message) {
	m.Seq = b.seq.Add(1)
	if m.Timestamp == 0 {
		m.Timestamp = time.Now().UnixMilli()
	}
	if m.mqttTopic == "" && m.Dest.Kind == dest.Topic {
		m.mqttTopic = dest.ToMQTT(m.Dest.Name)
	}
	if m.Priority == 0 && m.Props == nil {
		m.Priority = 4
	}
}

// publishTopic delivers m; with waits set it also collects the congestion
// signals of receivers that asked publishers to slow down (see flow.go).
func (b *Broker) publishTopic(m *Message, waits *[]<-chan struct{}) int {
	t := &b.topics
	if m.Retain && m.Dest.Kind == dest.Topic && b.retain(m) {
		b.notifyRetained(m)
	}
	if m.Dest.Kind == dest.Topic {
		b.virtualTopics(m)
	}
	bp := matchPool.Get().(*[]*Subscription)
	subs := b.matchTopic(m.Dest, (*bp)[:0])
	n := len(subs)
	if n == 0 {
		b.stats.NoSubscriber.Add(1)
	}
	t.counters.count(m.Origin, m.Dest.Name, 1, n, m.Timestamp/1000)
	deliverGrouped(subs, m)
	b.stats.Delivered.Add(uint64(n))
	if waits != nil {
		collectCongestion(subs, m, waits)
	}
	clear(subs)
	*bp = subs[:0]
	matchPool.Put(bp)
	return n
}

// matchTopic appends the subscriptions to d that get its messages: those
// of its kind whose owner may read it.
func (b *Broker) matchTopic(d dest.Destination, subs []*Subscription) []*Subscription {
	t := &b.topics
	t.mu.RLock()
	subs = t.subs.Collect(d.Name, subs)
	t.mu.RUnlock()
	if len(subs) == 0 {
		return subs
	}
	kept := subs[:0]
	for _, s := range subs {
		if s.Dest.Kind != d.Kind {
			continue
		}
		if s.checkRead && !b.Allowed(s.Who, authz.Read, d) {
			continue
		}
		kept = append(kept, s)
	}
	clear(subs[len(kept):])
	return kept
}

// deliverGrouped calls each owner's Deliver once with all of its matching
// subscriptions.
func deliverGrouped(subs []*Subscription, m *Message) {
	switch {
	case len(subs) == 1:
		subs[0].delivered.Add(1)
		subs[0].Owner.Deliver(subs, m)
		return
	case len(subs) <= 32:
		var group [8]*Subscription
	outer:
		for i, s := range subs {
			for _, p := range subs[:i] {
				if p.Owner == s.Owner {
					continue outer
				}
			}
			g := append(group[:0], s)
			for _, o := range subs[i+1:] {
				if o.Owner == s.Owner {
					g = append(g, o)
				}
			}
			s.delivered.Add(1)
			s.Owner.Deliver(g, m)
		}
	default:
		byOwner := make(map[Subscriber][]*Subscription, len(subs))
		order := make([]Subscriber, 0, len(subs))
		for _, s := range subs {
			if _, ok := byOwner[s.Owner]; !ok {
				order = append(order, s.Owner)
			}
			byOwner[s.Owner] = append(byOwner[s.Owner], s)
		}
		for _, o := range order {
			g := byOwner[o]
			g[0].delivered.Add(1)
			o.Deliver(g, m)
		}
	}
}

// Subscribe adds a topic subscription. A subscription with Share set joins
// (or creates) that shared-subscription group.
func (b *Broker) Subscribe(s *Subscription) {
	s.b = b
	s.checkRead = b.AuthzEnabled() && s.Dest.IsWildcard()
	if s.PendingLimit == 0 {
		s.PendingLimit = b.topics.pol.pendingLimit(s.Dest)
	}
	s.demandID = b.demand.nextID()
	t := &b.topics
	t.mu.Lock()
	defer t.mu.Unlock()
	if s.Share != "" {
		k := shareKey{s.Share, s.Dest}
		g := t.shares[k]
		if g == nil {
			g = &shareGroup{}
			g.sub = &Subscription{Dest: s.Dest, Owner: g, Share: s.Share, QoS: 2, b: b, demandID: b.demand.nextID()}
			t.shares[k] = g
			t.subs.Add(s.Dest.Name, g.sub)
			b.demand.emit(DemandEvent{Add: true, Demand: g.sub.demand()})
		}
		g.add(s)
		return
	}
	if t.subs.Add(s.Dest.Name, s) {
		b.demand.emit(DemandEvent{Add: true, Demand: s.demand()})
	}
}

// Unsubscribe removes a subscription added by Subscribe. It reports whether
// the subscription existed.
func (b *Broker) Unsubscribe(s *Subscription) bool {
	t := &b.topics
	t.mu.Lock()
	defer t.mu.Unlock()
	if s.Share != "" {
		k := shareKey{s.Share, s.Dest}
		g := t.shares[k]
		if g == nil || !g.remove(s) {
			return false
		}
		if g.empty() {
			delete(t.shares, k)
			t.subs.Remove(s.Dest.Name, g.sub)
			b.demand.emit(DemandEvent{Demand: g.sub.demand()})
		}
		return true
	}
	if !t.subs.Remove(s.Dest.Name, s) {
		return false
	}
	b.demand.emit(DemandEvent{Demand: s.demand()})
	return true
}

// TopicSubscriptions calls fn for every topic subscription (shared groups are
// reported by member), for the console and tests.
func (b *Broker) TopicSubscriptions(fn func(*Subscription)) {
	t := &b.topics
	t.mu.RLock()
	defer t.mu.RUnlock()
	t.subs.Each(func(s *Subscription) {
		if g, ok := s.Owner.(*shareGroup); ok {
			for _, m := range g.members {
				fn(m)
			}
			return
		}
		fn(s)
	})
}
