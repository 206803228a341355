package mqtt

import (
	"crypto/rand"
	"encoding/hex"
	"time"

	"github.com/hashi-broker/hashi/broker"
	"github.com/hashi-broker/hashi/broker/dest"
	"github.com/hashi-broker/hashi/broker/mqtt/packet"
)

// expiryOf converts a Session Expiry Interval to the session's expiry:
// 0xFFFFFFFF means never [MQTT-3.1.2.11.2].
func expiryOf(secs uint32) time.Duration {
	if secs == 0xFFFFFFFF {
		return -1
	}
	return time.Duration(secs) * time.Second
}

// connect handles CONNECT: client identifier, authentication, keep alive,
// will, and the session. It writes CONNACK itself and reports whether the
// connection was accepted.
func (c *conn) connect(p *packet.Connect) bool {
	c.version = p.ProtocolVersion
	c.v5.Store(c.version == packet.V5)
	c.clientID = p.ClientID
	v5 := c.version == packet.V5
	ack := &packet.Connack{}
	if v5 {
		ack.Properties = &packet.Properties{}
	}
	// Connack carries MQTT 5 codes; the codec maps them to 3.1.1 return
	// codes (NotAuthorized -> 5, ClientIdentifierNotValid -> 2).
	refuse := func(code packet.ReasonCode, why string) bool {
		ack.ReasonCode = code
		c.early().Warn("refusing connection", "client", p.ClientID, "user", p.Username, "reason", why)
		c.writeNow(ack, c.version)
		return false
	}

	// Client identifier [MQTT-3.1.3-6..9].
	assigned := false
	if c.clientID == "" {
		if !v5 && !p.CleanStart {
			return refuse(packet.ClientIdentifierNotValid, "empty client id with clean session 0 [MQTT-3.1.3-8]")
		}
		c.clientID = "hashi-" + randomID()
		assigned = true
	}

	// Enhanced authentication is not offered.
	if v5 && p.Properties.Has(packet.PropAuthenticationMethod) {
		return refuse(packet.BadAuthenticationMethod, "authentication method "+p.Properties.AuthenticationMethod+" is not supported")
	}

	// Authentication.
	id, err := c.b.Authenticate(p.Username, string(p.Password), p.UsernameFlag)
	if err != nil {
		c.b.LoginFailed("mqtt", p.Username, c.clientID, c.remote, err)
		return refuse(packet.NotAuthorized, err.Error())
	}
	c.ident = id

	// Will message.
	if p.WillFlag {
		if !packet.ValidTopicName(p.WillTopic) {
			return refuse(packet.TopicNameInvalid, "will topic "+p.WillTopic+" is not a valid topic name")
		}
		c.will = &will{
			msg: &broker.Message{
				Dest:       dest.T(dest.FromMQTT(p.WillTopic)),
				Payload:    p.WillPayload,
				QoS:        p.WillQoS,
				Retain:     p.WillRetain,
				Persistent: p.WillQoS > 0,
			},
			topic:  p.WillTopic,
			client: c.clientID,
			ident:  c.ident,
		}
		if v5 {
			wp := p.WillProperties
			c.will.msg.Props, c.will.expiry = propsToMessage(wp)
			if wp.Has(packet.PropWillDelayInterval) {
				c.will.delay = time.Duration(wp.WillDelayInterval) * time.Second
			}
		}
	}

	// Keep alive, capped by transport.maxKeepAlive (announced to MQTT 5
	// clients as Server Keep Alive) and defaulted by transport.defaultKeepAlive.
	asked := time.Duration(p.KeepAlive) * time.Second
	ka := asked
	var tc = c.info.Connector
	if tc != nil {
		if ka == 0 && tc.DefaultKeepAlive > 0 {
			ka = tc.DefaultKeepAlive
		}
		if v5 && tc.MaxKeepAlive > 0 && (ka == 0 || ka > tc.MaxKeepAlive) {
			ka = tc.MaxKeepAlive
		}
	}
	if v5 && ka != asked {
		// The client must use the server's value [MQTT-3.2.2-21]; it is
		// told in whole seconds, rounded up.
		ack.Properties.ServerKeepAlive = uint16(min((ka+time.Second-1)/time.Second, 65535))
		ack.Properties.Set(packet.PropServerKeepAlive)
	}
	c.keepAlive = ka

	// Flow control and limits.
	c.sendQuota = c.srv.opts.MaxInflight
	expiry := time.Duration(0)
	if v5 {
		pp := p.Properties
		if pp.Has(packet.PropReceiveMaximum) {
			c.sendQuota = min(c.sendQuota, int(pp.ReceiveMaximum))
		}
		if pp.Has(packet.PropMaximumPacketSize) {
			c.maxOut = pp.MaximumPacketSize
		}
		if pp.Has(packet.PropSessionExpiryInterval) {
			expiry = expiryOf(pp.SessionExpiryInterval)
		}
		ack.Properties.ReceiveMaximum = c.srv.opts.ReceiveMaximum
		ack.Properties.Set(packet.PropReceiveMaximum)
		ack.Properties.TopicAliasMaximum = c.srv.opts.TopicAliasMaximum
		ack.Properties.Set(packet.PropTopicAliasMaximum)
		if c.r.MaxPacketSize > 0 {
			ack.Properties.MaximumPacketSize = uint32(c.r.MaxPacketSize)
			ack.Properties.Set(packet.PropMaximumPacketSize)
		}
		if assigned {
			ack.Properties.AssignedClientIdentifier = c.clientID
			ack.Properties.Set(packet.PropAssignedClientIdentifier)
		}
	} else if !p.CleanStart {
		expiry = -1 // MQTT 3.x persistent sessions never expire
	}

	ack.SessionPresent = c.srv.attach(c, p.CleanStart, expiry)
	c.writeNow(ack, c.version)
	c.out.release() // CONNACK is out: queued messages may follow
	connector := ""
	if c.info != nil && c.info.Connector != nil {
		connector = c.info.Connector.Name
	}
	c.unregister = c.b.Register(&broker.ConnInfo{
		ID: c.id, Protocol: "mqtt", Connector: connector, ClientID: c.clientID, User: c.ident.User, Remote: c.remote,
		Close: func(reason string) { c.closeWith(packet.AdministrativeAction, reason) },
	})
	if c.srv.log.IsInfo() { // the connection's logger costs allocations
		c.logger().Info("client connected", "version", versionName(c.version), "clean", p.CleanStart, "keepalive", ka, "session_present", ack.SessionPresent)
	}
	return true
}

func versionName(v byte) string {
	switch v {
	case packet.V31:
		return "3.1"
	case packet.V311:
		return "3.1.1"
	case packet.V5:
		return "5.0"
	}
	return "?"
}

func randomID() string {
	var b [9]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// attach finds or creates the session for c's client id, taking it over from
// an existing connection, and binds c to it. It reports whether an existing
// session was resumed (CONNACK session present) [MQTT-3.2.2-2, MQTT-3.2.2-3].
func (s *Server) attach(c *conn, clean bool, expiry time.Duration) (present bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ss := s.sessions[c.clientID]
	if ss != nil {
		ss.mu.Lock()
		live := false
		if old := ss.c; old != nil {
			ss.c = nil
			ss.uncongest(true)
			go old.takenOver() // [MQTT-3.1.4-3]
			// A session that lasts only as long as its connection ends
			// with it, even when the new CONNECT overtakes the old
			// connection's close [MQTT-3.1.2-6].
			live = ss.expiry == 0
		}
		if clean || live {
			ss.endLocked()
			ss.mu.Unlock()
			ss = nil
		} else {
			ss.mu.Unlock()
		}
	}
	if ss == nil {
		ss = newSession(s, c.clientID)
		s.sessions[c.clientID] = ss
	} else {
		present = true
	}
	ss.mu.Lock()
	ss.version = c.version
	ss.expiry = expiry
	c.sess = ss
	ss.cancelWillLocked()
	ss.attachLocked(c)
	ss.mu.Unlock()
	return present
}

// detach unbinds c from its session when it closes: the will is published
// (now or after its delay) unless the client disconnected normally, and the
// session ends now or after its expiry interval.
func (s *Server) detach(c *conn, normal bool) {
	var fire *will
	s.mu.Lock()
	ss := c.sess
	ss.mu.Lock()
	attached := ss.c == c
	if attached {
		ss.c = nil
		ss.uncongest(true)
		ss.offlineAt = time.Now()
	}
	if w := c.will; w != nil && !normal {
		switch {
		case !attached:
			// Taken over: a delayed will is cancelled by the new
			// connection when it continues the session [MQTT-3.1.3-9]; an
			// immediate one goes out, and so does a delayed one whose
			// session the new connection ended (Clean Start 1, §3.1.2.5).
			if w.delay == 0 || ss.ended {
				fire = w
			}
		case w.delay == 0 || ss.expiry == 0:
			fire = w
		default:
			ss.scheduleWillLocked(w)
		}
	}
	if attached {
		switch {
		case ss.expiry == 0:
			ss.endLocked()
			delete(s.sessions, ss.id)
		case ss.expiry > 0:
			ss.expTimer = time.AfterFunc(ss.expiry, func() { s.expire(ss) })
		}
	}
	ss.mu.Unlock()
	s.mu.Unlock()
	if fire != nil {
		s.publishWill(fire)
	}
}

// expire ends a session whose expiry interval passed while offline.
func (s *Server) expire(ss *session) {
	var fire *will
	s.mu.Lock()
	ss.mu.Lock()
	if ss.c == nil && !ss.ended && s.sessions[ss.id] == ss {
		// A will still waiting for its delay goes out now [MQTT-3.1.3-9].
		fire = ss.takeWillLocked()
		ss.endLocked()
		delete(s.sessions, ss.id)
		s.log.Debug("session expired", "client", ss.id)
	}
	ss.mu.Unlock()
	s.mu.Unlock()
	if fire != nil {
		s.publishWill(fire)
	}
}
