package mqtt

import (
	"time"

	"github.com/hashi-broker/hashi/authz"
	"github.com/hashi-broker/hashi/broker"
)

// will is a client's Will Message, published when its connection ends
// without a normal DISCONNECT [MQTT-3.1.2-8].
type will struct {
	msg    *broker.Message
	topic  string        // MQTT form
	delay  time.Duration // MQTT 5 Will Delay Interval
	expiry uint32        // MQTT 5 Message Expiry Interval, seconds (0 = none)
	ident  authz.Identity
	client string
}

// scheduleWillLocked keeps w in the session and publishes it after its delay
// unless a connection resumes the session first. ss.mu must be held.
func (ss *session) scheduleWillLocked(w *will) {
	ss.cancelWillLocked()
	ss.will = w
	ss.willTimer = time.AfterFunc(w.delay, func() {
		ss.mu.Lock()
		fire := ss.takeWillLocked()
		ss.mu.Unlock()
		if fire != nil {
			ss.srv.publishWill(fire)
		}
	})
}

// cancelWillLocked drops a pending delayed will. ss.mu must be held.
func (ss *session) cancelWillLocked() {
	if ss.willTimer != nil {
		ss.willTimer.Stop()
		ss.willTimer = nil
	}
	ss.will = nil
}

// takeWillLocked removes and returns the pending will, if any.
func (ss *session) takeWillLocked() *will {
	w := ss.will
	ss.cancelWillLocked()
	return w
}

// publishWill publishes a will with the rights of the client that set it.
// Call it without holding session locks.
func (s *Server) publishWill(w *will) {
	m := w.msg
	if !s.b.Allowed(w.ident, authz.Write, m.Dest) {
		s.b.Denied("mqtt", w.ident, w.client, authz.Write, m.Dest)
		return
	}
	if w.expiry > 0 {
		m.Expiry = time.Now().Add(time.Duration(w.expiry) * time.Second).UnixMilli()
	}
	m.SetMQTTTopic(w.topic)
	m.Origin = &broker.Origin{ClientID: w.client, User: w.ident.User}
	n := s.b.Publish(m)
	s.log.Debug("will published", "client", w.client, "topic", w.topic, "subscribers", n)
}

// stopTimers stops the session's timers (broker shutdown).
func (ss *session) stopTimers() {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if ss.willTimer != nil {
		ss.willTimer.Stop()
	}
	if ss.expTimer != nil {
		ss.expTimer.Stop()
	}
}

// endLocked ends the session: its subscriptions leave the broker and what it
// held is discarded. ss.mu must be held.
func (ss *session) endLocked() {
	ss.ended = true
	ss.uncongest(true)
	for f, sub := range ss.subs {
		ss.srv.b.Unsubscribe(sub)
		delete(ss.subs, f)
	}
	ss.cancelWillLocked()
	if ss.expTimer != nil {
		ss.expTimer.Stop()
		ss.expTimer = nil
	}
	ss.win.reset()
	ss.held = nil
	ss.pending.Drain()
	clear(ss.inbound2)
}
