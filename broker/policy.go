package broker

import (
	"sync"

	"github.com/hashi-broker/hashi/broker/dest"
	"github.com/hashi-broker/hashi/config"
)

// Default bounds when no policy says otherwise.
const (
	// DefaultTopicPrefetch is how many messages a non-durable topic subscriber
	// may have outstanding before the pending limit counts (ActiveMQ's MQTT
	// and STOMP topic prefetch is larger; 1000 keeps memory bounded).
	DefaultTopicPrefetch = 1000
	// DefaultPendingLimit applies when no constantPendingMessageLimitStrategy
	// is configured.
	DefaultPendingLimit = 10000
)

// policies picks exactly one policyEntry per destination: an exact entry,
// else the most specific matching wildcard entry, else the default entry
// (ActiveMQ's DestinationMap.chooseValue; no merging).
type policies struct {
	mu    sync.RWMutex
	idx   [4]*dest.Index[*config.PolicyEntry]
	def   *config.PolicyEntry
	cache map[dest.Destination]*config.PolicyEntry
}

func (p *policies) set(cfg *config.Config) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for i := range p.idx {
		p.idx[i] = dest.NewIndex[*config.PolicyEntry](false)
	}
	pm := &cfg.Broker.Policy
	for i := range pm.Entries {
		e := &pm.Entries[i]
		p.idx[e.Dest.Kind].Add(e.Dest.Name, e)
	}
	p.def = pm.Default
	p.cache = make(map[dest.Destination]*config.PolicyEntry)
}

// entry returns the policy entry for d, or nil when none applies.
func (p *policies) entry(d dest.Destination) *config.PolicyEntry {
	p.mu.RLock()
	e, ok := p.cache[d]
	p.mu.RUnlock()
	if ok {
		return e
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	var best *config.PolicyEntry
	p.idx[d.Kind].Match(d.Name, func(c *config.PolicyEntry) {
		if best == nil || c.Dest.Name == d.Name || (best.Dest.Name != d.Name && dest.MoreSpecific(c.Dest.Name, best.Dest.Name)) {
			best = c
		}
	})
	if best == nil {
		best = p.def
	}
	if len(p.cache) > 10000 {
		clear(p.cache)
	}
	p.cache[d] = best
	return best
}

// pendingLimit is how many messages may wait for a slow non-durable topic
// subscriber of d: prefetch plus the constantPendingMessageLimitStrategy
// limit; -1 (never discard) is capped at DefaultPendingLimit to keep memory
// bounded.
func (p *policies) pendingLimit(d dest.Destination) int {
	prefetch, limit := DefaultTopicPrefetch, DefaultPendingLimit
	if e := p.entry(d); e != nil {
		if e.TopicPrefetch > 0 {
			prefetch = e.TopicPrefetch
		}
		if e.PendingMessageLimit >= 0 {
			limit = e.PendingMessageLimit
		}
	}
	return prefetch + limit
}

// Policy returns the policy entry that applies to d (nil for none).
func (b *Broker) Policy(d dest.Destination) *config.PolicyEntry { return b.topics.pol.entry(d) }
