package broker

import (
	"sync/atomic"

	"github.com/hashi-broker/hashi/authz"
	"github.com/hashi-broker/hashi/broker/dest"
)

// Subscriber is anything that receives messages: an MQTT session, a STOMP
// subscription, a network bridge. Deliver must not block: a subscriber queues
// or drops (and counts) according to its slow-consumer policy.
//
// subs holds every subscription of this subscriber that matched m (MQTT
// delivers one copy per client with the highest QoS and all subscription
// identifiers [MQTT-3.3.4-2, MQTT-3.3.4-3]); it is only valid during the call.
type Subscriber interface {
	Deliver(subs []*Subscription, m *Message)
}

// Subscription binds a destination pattern to a Subscriber.
type Subscription struct {
	Dest  dest.Destination // pattern; topics only for now (queues have consumers)
	Owner Subscriber

	// MQTT options (zero values suit other protocols).
	QoS               byte
	NoLocal           bool
	RetainAsPublished bool
	RetainHandling    byte
	SubID             uint32 // MQTT 5 subscription identifier, 0 = none
	Filter            string // as the client wrote it, for display
	Share             string // shared-subscription group, "" if not shared

	ClientID string // for no-local and display
	ConnID   uint64

	// Network marks a bridge's demand subscription; BrokerPath is the path of
	// the remote consumer it stands for.
	Network    bool
	Bridge     string // the bridge that owns a network subscription
	BrokerPath []string

	// PendingLimit is the most messages that may wait for a slow non-durable
	// subscriber before the oldest are dropped (topic policy
	// constantPendingMessageLimitStrategy plus prefetch).
	PendingLimit int

	// Who subscribed. When authorization is on and the pattern is a wildcard,
	// each concrete topic is checked for read before delivery (ActiveMQ's
	// AMQ-5644 behaviour; Mosquitto does the same).
	Who authz.Identity

	b         *Broker
	demandID  uint64
	checkRead bool
	delivered atomic.Uint64
	dropped   atomic.Uint64
}

// Delivered counts messages handed to the owner for this subscription.
func (s *Subscription) Delivered() uint64 { return s.delivered.Load() }

// Dropped counts messages the owner discarded for this subscription.
func (s *Subscription) Dropped() uint64 { return s.dropped.Load() }

// CountDropped records n discarded messages against the subscription and the broker.
func (s *Subscription) CountDropped(n uint64) {
	s.dropped.Add(n)
	if s.b != nil {
		s.b.stats.Dropped.Add(n)
	}
}
