package broker

import (
	"sync"

	"github.com/hashi-broker/hashi/broker/dest"
)

// Demand is one consumer interest in a destination, as network bridges see
// it: a topic subscription or a queue consumer.
type Demand struct {
	ID         uint64
	Dest       dest.Destination // pattern
	Network    bool             // created by a bridge for a remote consumer
	Bridge     string           // which bridge, for network demand
	BrokerPath []string         // network demand: brokers between here and the consumer
}

// DemandEvent reports demand appearing (Add) or going away.
type DemandEvent struct {
	Add bool
	Demand
}

// demandWatchers fans demand events out to watchers, in order, each on its
// own goroutine so a slow watcher never blocks Subscribe.
type demandWatchers struct {
	mu   sync.Mutex
	list []*demandWatcher
	seq  uint64
}

type demandWatcher struct {
	fn     func(DemandEvent)
	mu     sync.Mutex
	queue  []DemandEvent
	wake   chan struct{}
	closed bool
}

// emit queues ev for every watcher. Callers hold the lock that orders the
// change (topicSpace.mu or queueSpace.mu), so watchers see changes in order.
func (w *demandWatchers) emit(ev DemandEvent) {
	w.mu.Lock()
	list := w.list
	w.mu.Unlock()
	for _, dw := range list {
		dw.mu.Lock()
		dw.queue = append(dw.queue, ev)
		dw.mu.Unlock()
		select {
		case dw.wake <- struct{}{}:
		default:
		}
	}
}

func (w *demandWatchers) nextID() uint64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.seq++
	return w.seq
}

func (dw *demandWatcher) run() {
	for {
		dw.mu.Lock()
		evs := dw.queue
		dw.queue = nil
		closed := dw.closed
		dw.mu.Unlock()
		for _, ev := range evs {
			dw.fn(ev)
		}
		if closed {
			return
		}
		if len(evs) == 0 {
			<-dw.wake
		}
	}
}

// WatchDemand returns the current demand and then calls fn, on a goroutine
// of its own, for every change, in order, until cancel is called.
func (b *Broker) WatchDemand(fn func(DemandEvent)) (snapshot []Demand, cancel func()) {
	dw := &demandWatcher{fn: fn, wake: make(chan struct{}, 1)}
	b.topics.mu.Lock()
	b.queues.mu.Lock()
	b.topics.subs.Each(func(s *Subscription) { snapshot = append(snapshot, s.demand()) })
	for _, q := range b.queues.byName {
		q.mu.Lock()
		for _, c := range q.consumers {
			if !c.Dest.IsWildcard() {
				snapshot = append(snapshot, c.demand())
			}
		}
		q.mu.Unlock()
	}
	b.queues.wildcard.Each(func(c *Consumer) { snapshot = append(snapshot, c.demand()) })
	b.demand.mu.Lock()
	b.demand.list = append(append([]*demandWatcher(nil), b.demand.list...), dw)
	b.demand.mu.Unlock()
	b.queues.mu.Unlock()
	b.topics.mu.Unlock()
	go dw.run()
	return snapshot, func() {
		b.demand.mu.Lock()
		for i, have := range b.demand.list {
			if have == dw {
				b.demand.list = append(append([]*demandWatcher(nil), b.demand.list[:i]...), b.demand.list[i+1:]...)
				break
			}
		}
		b.demand.mu.Unlock()
		dw.mu.Lock()
		dw.closed = true
		dw.mu.Unlock()
		select {
		case dw.wake <- struct{}{}:
		default:
		}
	}
}

func (s *Subscription) demand() Demand {
	return Demand{ID: s.demandID, Dest: s.Dest, Network: s.Network, Bridge: s.Bridge, BrokerPath: s.BrokerPath}
}

func (c *Consumer) demand() Demand {
	return Demand{ID: c.demandID, Dest: c.Dest, Network: c.Network, Bridge: c.Bridge, BrokerPath: c.BrokerPath}
}
