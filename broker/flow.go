package broker

import "time"

// Flow control for reliable messages.
//
// QoS 0 messages beyond a slow subscriber's pending limit are dropped (the
// subscription's policy). Reliable ones (MQTT QoS 1/2, persistent STOMP
// sends) are acknowledged to their publisher, so dropping them would lose
// what the broker promised to keep. Instead, a receiver whose backlog passes
// its high-water mark while it is still draining (an MQTT session that is
// connected and acknowledging, a bridge whose link is up) reports itself
// congested, and the publisher of a reliable message waits, before its
// acknowledgement, until the backlog is back under the low-water mark: the
// publisher slows to what the receiver drains. A receiver that is offline or
// stalled never reports congestion, so it holds nobody back; its backlog
// fills to its configured limit and then drops, counted. The wait is bounded
// (maxWait) so a publisher is never parked for long.

// Congestion is implemented by subscribers that can ask publishers to slow
// down. Congested returns a channel closed when the backlog that m would
// join has drained, or nil when the subscriber is not congested for m.
type Congestion interface {
	Congested(m *Message) <-chan struct{}
}

// collectCongestion appends the signals of congested owners among subs.
func collectCongestion(subs []*Subscription, m *Message, waits *[]<-chan struct{}) {
	for i, s := range subs {
		c, ok := s.Owner.(Congestion)
		if !ok {
			continue
		}
		dup := false
		for _, p := range subs[:i] {
			if p.Owner == s.Owner {
				dup = true
				break
			}
		}
		if dup {
			continue
		}
		if ch := c.Congested(m); ch != nil {
			*waits = append(*waits, ch)
		}
	}
}

// PublishFlow publishes m like Publish and returns the congestion signals
// of receivers that asked its publisher to slow down: the protocol layer
// holds the message's acknowledgement (PUBACK, RECEIPT) until they are
// closed (WaitFlow), while it keeps reading the connection, so a publisher
// that is also a subscriber keeps acknowledging what it receives.
func (b *Broker) PublishFlow(m *Message) (int, []<-chan struct{}) {
	b.prepare(m)
	b.stats.Published.Add(1)
	var waits []<-chan struct{}
	n := b.publishTopic(m, &waits)
	if len(waits) > 0 {
		b.stats.FlowWaits.Add(1)
	}
	return n, waits
}

// WaitFlow waits until every signal is closed, maxWait passes or stop is
// closed. It reports whether the receivers drained.
func WaitFlow(waits []<-chan struct{}, maxWait time.Duration, stop <-chan struct{}) bool {
	if len(waits) == 0 {
		return true
	}
	timer := time.NewTimer(maxWait)
	defer timer.Stop()
	for _, ch := range waits {
		select {
		case <-ch:
		case <-timer.C:
			return false
		case <-stop:
			return false
		}
	}
	return true
}
