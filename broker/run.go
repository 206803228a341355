package broker

import "github.com/hashi-broker/hashi/broker/dest"

// RunSubscriber is a Subscriber that takes a run of messages with one call:
// a bridge receives its peer's messages in batches, mostly one topic after
// another, and delivering a batch's run under one lock of the subscriber
// (and one wake-up of its writer) instead of one per message was most of
// what a bridged broker spent beyond a single one.
type RunSubscriber interface {
	Subscriber
	// DeliverRun delivers ms, in order, as Deliver would deliver each.
	DeliverRun(subs []*Subscription, ms []*Message)
}

// PublishRun publishes ms, messages to one topic, in order, as PublishFlow
// publishes each: it matches the subscriptions once and hands the run to
// each subscriber in one call. It stops early when a receiver asks its
// publisher to slow down, and returns how many it published and the
// receivers' congestion signals: the caller waits for them (WaitFlow)
// before it publishes the rest.
//
// Messages with Retain set are published one by one (the retained store
// comes first for each). Every message must have ms[0]'s destination.
func (b *Broker) PublishRun(ms []*Message) (published int, waits []<-chan struct{}) {
	published, _, waits = b.PublishRunMatched(ms)
	return published, waits
}

// PublishRunMatched is PublishRun that also returns the number of
// subscriptions the run went to (MQTT 5 answers a publish nobody receives
// with the reason code No matching subscribers).
func (b *Broker) PublishRunMatched(ms []*Message) (published, matched int, waits []<-chan struct{}) {
	if len(ms) == 0 {
		return 0, 0, nil
	}
	d := ms[0].Dest
	if d.Kind != dest.Topic {
		panic("broker: PublishRun of a " + d.Kind.String())
	}
	bp := matchPool.Get().(*[]*Subscription)
	subs := b.matchTopic(d, (*bp)[:0])
	// A run no longer than an eighth of the smallest pending limit cannot
	// overflow a subscriber that is not yet congested: it would have
	// slowed the publisher at half the limit.
	step := len(ms)
	for _, s := range subs {
		if s.PendingLimit > 0 {
			step = min(step, max(1, s.PendingLimit/8))
		}
	}
	for published < len(ms) && len(waits) == 0 {
		run := ms[published:min(published+step, len(ms))]
		for i, m := range run {
			if m.Retain {
				run = run[:max(i, 1)]
				break
			}
		}
		if run[0].Retain {
			matched, waits = b.PublishFlow(run[0])
			published++
			continue
		}
		for _, m := range run {
			b.prepare(m)
		}
		b.virtualTopics(run...)
		deliverRun(subs, run)
		n := len(subs)
		matched = n
		b.stats.Published.Add(uint64(len(run)))
		if n == 0 {
			b.stats.NoSubscriber.Add(uint64(len(run)))
		}
		b.stats.Delivered.Add(uint64(n * len(run)))
		last := run[len(run)-1]
		b.topics.counters.count(last.Origin, d.Name, len(run), n*len(run), last.Timestamp/1000)
		collectCongestion(subs, last, &waits)
		if len(waits) > 0 {
			b.stats.FlowWaits.Add(1)
		}
		published += len(run)
	}
	clear(subs)
	*bp = subs[:0]
	matchPool.Put(bp)
	return published, matched, waits
}

// deliverRun hands run to subs: to an owner of a single subscription that
// takes runs in one call, else message by message.
func deliverRun(subs []*Subscription, run []*Message) {
	if len(subs) == 1 {
		if rs, ok := subs[0].Owner.(RunSubscriber); ok {
			subs[0].delivered.Add(uint64(len(run)))
			rs.DeliverRun(subs, run)
			return
		}
	}
	for _, m := range run {
		deliverGrouped(subs, m)
	}
}
