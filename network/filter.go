package network

import (
	"strings"

	"github.com/hashi-broker/hashi/broker"
	"github.com/hashi-broker/hashi/broker/dest"
	"github.com/hashi-broker/hashi/config"
)

// rules are a bridge's forwarding rules, the same on both ends of a duplex
// link (the responder takes them from the initiator's CONNECT).
type rules struct {
	messageTTL   int // -1 unlimited
	consumerTTL  int // -1 unlimited
	conduit      bool
	prefetch     int
	decreasePrio bool
	bridgeTemps  bool
	staticBridge bool
	excluded     []dest.Destination
	dynamic      []dest.Destination
	static       []dest.Destination
}

func rulesFrom(nc *config.NetworkConnector) rules {
	r := rules{
		messageTTL: nc.MessageTTL, consumerTTL: nc.ConsumerTTL, conduit: nc.ConduitSubscriptions,
		prefetch: nc.PrefetchSize, decreasePrio: nc.DecreaseNetworkConsumerPriority,
		bridgeTemps: nc.BridgeTempDestinations, staticBridge: nc.StaticBridge,
	}
	for _, d := range nc.Excluded {
		r.excluded = append(r.excluded, d.Dest)
	}
	for _, d := range nc.DynamicallyIncluded {
		r.dynamic = append(r.dynamic, d.Dest)
	}
	for _, d := range nc.StaticallyIncluded {
		r.static = append(r.static, d.Dest)
	}
	if r.prefetch <= 0 {
		r.prefetch = 1000
	}
	return r
}

// internal destinations never cross a bridge.
func internal(d dest.Destination) bool {
	return strings.HasPrefix(d.Name, "ActiveMQ.Advisory.") || strings.HasPrefix(d.Name, "hashi.bridge.")
}

// permitted is ActiveMQ's isPermissableDestination: an excluded pattern of
// the same kind denies (exclusion beats both include lists); a statically
// included one allows; otherwise a non-empty dynamic list must match.
// Temporary destinations skip the lists and follow bridgeTempDestinations.
// d may be a wildcard demand pattern: a list entry applies when it covers it.
func (r *rules) permitted(d dest.Destination) bool {
	if internal(d) {
		return false
	}
	if d.Kind.IsTemp() {
		return r.bridgeTemps
	}
	for _, x := range r.excluded {
		if x.Kind == d.Kind && dest.Covers(x.Name, d.Name) {
			return false
		}
	}
	for _, s := range r.static {
		if s.Kind == d.Kind && dest.Covers(s.Name, d.Name) {
			return true
		}
	}
	if len(r.dynamic) == 0 {
		return true
	}
	for _, x := range r.dynamic {
		if x.Kind == d.Kind && dest.Covers(x.Name, d.Name) {
			return true
		}
	}
	return false
}

// acceptDemand says whether remote demand with path may create a demand
// subscription here: not from this broker (a loop) and within consumerTTL.
func (r *rules) acceptDemand(path []string, self string) bool {
	if contains(path, self) {
		return false
	}
	return r.consumerTTL < 0 || len(path) < r.consumerTTL
}

// forwardable says whether m may cross to peer: never back to a broker it
// passed through, never beyond messageTTL hops.
func (r *rules) forwardable(m *broker.Message, peer string) bool {
	if contains(m.BrokerPath, peer) {
		return false
	}
	return r.messageTTL < 0 || len(m.BrokerPath) < r.messageTTL
}

// priority of a bridge's queue consumer: ActiveMQ's
// decreaseNetworkConsumerPriority gives -5 for a consumer on the adjacent
// broker and less for farther ones, so local consumers are preferred.
func (r *rules) priority(pathLen int) int {
	if !r.decreasePrio {
		return 0
	}
	if pathLen <= 1 {
		return -5
	}
	return -5 - (pathLen + 1)
}
