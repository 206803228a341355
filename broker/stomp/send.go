package stomp

import (
	"strconv"
	"strings"
	"time"

	"github.com/go-stomp/stomp/v3/frame"

	"github.com/hashi-broker/hashi/authz"
	"github.com/hashi-broker/hashi/broker"
	"github.com/hashi-broker/hashi/broker/dest"
)

// sendTimeout bounds how long a SEND waits for space in a full queue when
// the policy sets no sendFailIfNoSpaceAfterTimeout.
const sendTimeout = 30 * time.Second

// handleSend publishes a SEND to each of its destinations (a comma-separated
// list is a composite destination), or buffers it in a transaction.
func (c *conn) handleSend(f *frame.Frame) error {
	h := f.Header.Get(frame.Destination)
	if h == "" {
		return refusef("SEND without a destination header")
	}
	parts := []string{h}
	if strings.IndexByte(h, ',') >= 0 {
		parts = strings.Split(h, ",")
	}
	var one [1]*broker.Message // a plain SEND allocates no list
	msgs := one[:0]
	for _, p := range parts {
		d, err := c.resolveSend(strings.TrimSpace(p))
		if err != nil {
			return err
		}
		if d.IsWildcard() {
			return refusef("Cannot send to a wildcard destination: %s", p)
		}
		if d.Kind == dest.TempQueue && !c.b.QueueExists(d) {
			return refusef("Temporary destination does not exist: %s", p)
		}
		if err := c.authorize(authz.Write, d); err != nil {
			return err
		}
		m, err := c.toMessage(f, d)
		if err != nil {
			return err
		}
		msgs = append(msgs, m)
	}
	if tx := f.Header.Get(frame.Transaction); tx != "" {
		t, err := c.tx(tx)
		if err != nil {
			return err
		}
		t.sends = append(t.sends, msgs...)
		return nil
	}
	return c.publish(msgs)
}

// publish hands messages to the broker; a full queue blocks the sender
// (producer flow control) or refuses with an ERROR, per policy.
func (c *conn) publish(msgs []*broker.Message) error {
	for _, m := range msgs {
		if err := c.b.SendWithin(m, sendTimeout); err != nil {
			c.log.Warn("send refused", "destination", m.Dest.String(), "error", err)
			return refusef("Send to %s failed: %s", m.Dest.STOMP(), err.Error())
		}
	}
	return nil
}

// resolveSend resolves a SEND's destination, remembering the last plain
// (not temporary) one: a producer usually sends to one destination, and
// parsing and validating its name again for every frame is wasted work.
func (c *conn) resolveSend(h string) (dest.Destination, error) {
	if h == c.lastSend.header && h != "" {
		return c.lastSend.d, nil
	}
	d, err := c.resolve(h, false)
	if err == nil && !d.Kind.IsTemp() {
		c.lastSend.header, c.lastSend.d = h, d
	}
	return d, err
}

// resolve maps a STOMP destination header to a broker destination.
// /temp-queue/x and /temp-topic/x name this connection's temporary
// destinations, created on first use.
func (c *conn) resolve(h string, subscribe bool) (dest.Destination, error) {
	c.mu.Lock()
	d, ok := c.temps[h]
	c.mu.Unlock()
	if ok {
		return d, nil
	}
	d, err := dest.FromSTOMP(h)
	if err != nil {
		return d, refusef("Illegal destination name: [%s] -- ActiveMQ STOMP destinations must begin with one of: /queue/ /topic/ /temp-queue/ /temp-topic/", h)
	}
	if strings.HasPrefix(h, dest.StompTempQueue) || strings.HasPrefix(h, dest.StompTempTopic) {
		d.Name = "ID:" + c.b.Name() + "-" + itoa(c.id) + ":" + d.Name
		c.mu.Lock()
		c.temps[h] = d
		c.mu.Unlock()
		if d.Kind == dest.TempQueue {
			c.b.CreateTemp(d, c.id)
		}
		return d, nil
	}
	if err := dest.ValidatePattern(d.Name); err != nil {
		return d, refusef("Illegal destination name: [%s]: %s", h, err.Error())
	}
	return d, nil
}

func (c *conn) ownsTemp(d dest.Destination) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, t := range c.temps {
		if t == d {
			return true
		}
	}
	return false
}

// writerDest is stompDest for the writer goroutine, which remembers the
// last destination it rendered: deliveries come in runs from one queue.
func (c *conn) writerDest(d dest.Destination) string {
	if d.Kind.IsTemp() {
		return c.stompDest(d)
	}
	if d != c.lastWritten.d || c.lastWritten.header == "" {
		c.lastWritten.header, c.lastWritten.d = d.STOMP(), d
	}
	return c.lastWritten.header
}

// stompDest renders d for this client: its own temporary destinations as it
// named them, everything else in ActiveMQ's form.
func (c *conn) stompDest(d dest.Destination) string {
	if d.Kind.IsTemp() {
		c.mu.Lock()
		defer c.mu.Unlock()
		for h, t := range c.temps {
			if t == d {
				return h
			}
		}
	}
	return d.STOMP()
}

// smallBody is the largest SEND body read into the connection's shared
// buffer: up to it, broker.NewMessage holds a copy in the message's own
// allocation; a larger body is allocated by itself and kept as it is.
const smallBody = 256

// reserved reports whether a header has meaning to the broker; every other
// header travels as a user header (MQTT 5 user property). A switch, not a
// map: it runs for every header of every SEND.
func reserved(k string) bool {
	switch k {
	case frame.Destination, frame.ContentLength, frame.ContentType, frame.Receipt,
		frame.Transaction, "persistent", "priority", "expires", "reply-to",
		"correlation-id", frame.MessageId, "timestamp", frame.Subscription,
		frame.Ack, "redelivered":
		return true
	}
	return false
}

// toMessage builds a broker message from a SEND frame.
func (c *conn) toMessage(f *frame.Frame, d dest.Destination) (*broker.Message, error) {
	var m *broker.Message
	if c.r.Reused(f.Body) {
		var buf []byte
		m, buf = broker.NewMessage(len(f.Body), nil)
		m.Payload = buf
		copy(buf, f.Body)
	} else {
		m = &broker.Message{Payload: f.Body}
	}
	m.Dest, m.Origin, m.Priority = d, c.origin(), 4
	// One pass over the headers (go-stomp's Get scans them all for each
	// name); of a repeated header the first counts, as Get would return.
	var persistent, priority, expires, contentType, corrID, replyTo string
	var seen uint8
	props := &broker.Props{}
	for i := 0; i < f.Header.Len(); i++ {
		k, v := f.Header.GetAt(i)
		var bit uint8
		var dst *string
		switch k {
		case "persistent":
			bit, dst = 1, &persistent
		case "priority":
			bit, dst = 2, &priority
		case "expires":
			bit, dst = 4, &expires
		case frame.ContentType:
			bit, dst = 8, &contentType
		case "correlation-id":
			bit, dst = 16, &corrID
		case "reply-to":
			bit, dst = 32, &replyTo
		default:
			if !reserved(k) {
				props.User = append(props.User, broker.KV{Key: k, Value: v})
			}
			continue
		}
		if seen&bit == 0 {
			seen |= bit
			*dst = v
		}
	}
	m.Persistent = persistent == "true"
	if m.Persistent {
		m.QoS = 1
	}
	if priority != "" {
		p, err := strconv.Atoi(priority)
		if err != nil || p < 0 || p > 9 {
			return nil, refusef("Invalid priority header %q: must be 0-9", priority)
		}
		m.Priority = uint8(p)
	}
	if expires != "" && expires != "0" {
		e, err := strconv.ParseInt(expires, 10, 64)
		if err != nil {
			return nil, refusef("Invalid expires header %q: milliseconds since the epoch", expires)
		}
		m.Expiry = e
	}
	props.ContentType = contentType
	if corrID != "" {
		props.CorrelationData = []byte(corrID)
	}
	if replyTo != "" {
		rt, err := c.resolve(replyTo, false)
		if err != nil {
			return nil, err
		}
		props.ReplyTo = rt
	}
	m.Props = props
	return m, nil
}
