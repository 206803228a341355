package broker

import (
	"strconv"
	"sync/atomic"
	"time"

	"github.com/hashi-broker/hashi/broker/dest"
)

// Message is one published message. It is immutable once handed to Publish:
// every subscriber shares the same value, and protocol layers encode it for
// their own wire format on the way out.
type Message struct {
	Seq         uint64           // broker-local sequence, assigned by Publish
	Dest        dest.Destination // concrete destination
	Payload     []byte
	QoS         byte // MQTT QoS as published; STOMP persistent sends count as 1
	Retain      bool
	Persistent  bool
	Priority    uint8 // 0-9, JMS default 4
	Redelivered bool  // a queue redelivery (set on copies only)
	Timestamp   int64 // unix ms when the broker accepted it
	Expiry      int64 // unix ms after which it is dropped; 0 = never

	Props *Props // optional metadata, nil for plain MQTT publishes

	// Origin is shared by every message from the same connection or
	// bridge and never changed once set (nil: the broker itself). Kept
	// by pointer, it costs a message 8 bytes instead of 56.
	Origin     *Origin
	BrokerPath []string // names of brokers the message has crossed, oldest first

	mqttTopic string // cached MQTT form of Dest.Name
	id        atomic.Pointer[string]
}

// Props carries metadata shared by MQTT 5 properties and STOMP headers.
type Props struct {
	ContentType     string
	ReplyTo         dest.Destination // MQTT response topic / STOMP reply-to; zero Name = none
	CorrelationData []byte
	PayloadUTF8     bool // MQTT payload format indicator 1
	User            []KV // MQTT user properties / custom STOMP headers, in order
}

// KV is one user property or custom header.
type KV struct{ Key, Value string }

// Origin says where a message entered this broker.
type Origin struct {
	ConnID   uint64 // 0 for the broker itself
	ClientID string
	User     string
	Bridge   string // name of the network bridge it arrived on, "" if local

	// counters caches the statistics entry of the last topic this origin
	// published to: a device or a bridge mostly publishes to one topic
	// after another, and the shared map's lookup was 4% of a publish.
	counters atomic.Pointer[topicCounters]
}

// MQTTTopic returns the destination name in MQTT form ("a/b/c"). Publish
// computes it before the message is shared, so this is a plain read.
func (m *Message) MQTTTopic() string {
	if m.mqttTopic == "" {
		return dest.ToMQTT(m.Dest.Name)
	}
	return m.mqttTopic
}

// SetMQTTTopic records the MQTT form the message was published with, saving the
// conversion on delivery. Call it before Publish.
func (m *Message) SetMQTTTopic(t string) { m.mqttTopic = t }

// ID returns a message id in ActiveMQ's style, "ID:<broker id>-<seq>", built
// on first use, or the id the message arrived with (SetID).
func (m *Message) ID(broker string) string {
	if p := m.id.Load(); p != nil {
		return *p
	}
	s := "ID:" + broker + "-" + strconv.FormatUint(m.Seq, 10)
	m.id.Store(&s)
	return s
}

// SetID gives m the id it arrived with (from another broker), before m is
// published.
func (m *Message) SetID(id string) { m.id.Store(&id) }

// KnownID returns the id m arrived with, or the one ID built, or "" when
// neither is known yet.
func (m *Message) KnownID() string {
	if p := m.id.Load(); p != nil {
		return *p
	}
	return ""
}

// Expired reports whether the message expired at now.
func (m *Message) Expired(now time.Time) bool {
	return m.Expiry != 0 && now.UnixMilli() >= m.Expiry
}

// Hops is the number of brokers the message crossed before this one.
func (m *Message) Hops() int { return len(m.BrokerPath) }

// Copy returns a shallow copy that may be changed (e.g. to set Redelivered).
func (m *Message) Copy() *Message {
	c := &Message{
		Seq: m.Seq, Dest: m.Dest, Payload: m.Payload, QoS: m.QoS, Retain: m.Retain,
		Persistent: m.Persistent, Priority: m.Priority, Timestamp: m.Timestamp,
		Expiry: m.Expiry, Redelivered: m.Redelivered, Props: m.Props, Origin: m.Origin,
		BrokerPath: m.BrokerPath, mqttTopic: m.mqttTopic,
	}
	if p := m.id.Load(); p != nil {
		c.id.Store(p)
	}
	return c
}
