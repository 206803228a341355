package mqtt

import (
	"net"
	"sync"
	"time"

	"github.com/hashi-broker/hashi/broker/mqtt/packet"
)

// writeBatch is how many bytes the writer gathers before a write call.
const writeBatch = 64 * 1024

// largePayload is the payload size from which a PUBLISH is written straight
// from the message (writev) instead of being copied into the batch.
const largePayload = 2048

// batch is what one write call sends: small packets copied into buf, large
// payloads referenced where they are.
type batch struct {
	buf  []byte      // small packets and the headers of large ones
	mark int         // buf[:mark] is already in vec
	vec  net.Buffers // segments in order, for writev
	size int
}

var batches = sync.Pool{New: func() any { return &batch{buf: make([]byte, 0, writeBatch+4096)} }}

// payload adds a large payload after what buf holds so far.
func (b *batch) payload(p []byte) {
	b.vec = append(b.vec, b.buf[b.mark:], p)
	b.mark = len(b.buf)
	b.size += len(p)
}

func (b *batch) len() int { return len(b.buf) + b.size }

// buffersWriter is a connection that writes net.Buffers with one writev
// call itself (rawio's), as net.Buffers.WriteTo does for the net package's
// own connections.
type buffersWriter interface {
	WriteBuffers(v *net.Buffers) (int64, error)
}

// writeTo sends the batch with one write (or writev) call and empties it.
func (b *batch) writeTo(c net.Conn) error {
	var err error
	if len(b.vec) == 0 {
		_, err = c.Write(b.buf)
	} else {
		v := append(b.vec, b.buf[b.mark:])
		if bw, ok := c.(buffersWriter); ok {
			_, err = bw.WriteBuffers(&v)
		} else {
			_, err = v.WriteTo(c)
		}
		clear(b.vec[:cap(b.vec)])
	}
	b.buf, b.vec, b.mark, b.size = b.buf[:0], b.vec[:0], 0, 0
	return err
}

// writeLoop drains the outbound queue: everything queued is encoded into one
// batch and written with as few syscalls as possible. It runs while there is
// something to write (outq starts it) and closes writerDone, and the socket,
// once the queue is closed and drained or a write fails.
func (c *conn) writeLoop() {
	b := batches.Get().(*batch)
	defer batches.Put(b)
	var items []outItem
	for {
		var state int
		items, state = c.out.take(items)
		switch state {
		case idle:
			return
		case drained:
			c.finishWriting()
			return
		}
		now := time.Now()
		for i := range items {
			c.encode(b, &items[i], now)
			if b.len() >= writeBatch {
				if !c.write(b) {
					c.failWriting()
					return
				}
				c.out.wrote()
			}
		}
		if b.len() > 0 && !c.write(b) {
			c.failWriting()
			return
		}
		clear(items)
		items = items[:0]
	}
}

// finishWriting marks the end of the connection's writes.
func (c *conn) finishWriting() {
	c.doneOnce.Do(func() { close(c.writerDone) })
}

// failWriting ends writing after a write error; what is still queued will
// never be written (QoS 1/2 deliveries stay in the session's window).
func (c *conn) failWriting() {
	for {
		if _, state := c.out.take(nil); state != haveItems {
			break
		}
	}
	c.finishWriting()
}

func (c *conn) write(b *batch) bool {
	if err := b.writeTo(c.nc); err != nil {
		c.closeWith(packet.UnspecifiedError, "write error: "+err.Error())
		c.nc.Close()
		return false
	}
	return true
}

// encode adds one queued item to the batch.
func (c *conn) encode(b *batch, it *outItem, now time.Time) {
	if it.ack != 0 {
		out, err := packet.AppendAck(b.buf, c.version, it.ack, it.pid, it.code)
		if err != nil {
			c.logger().Error("cannot encode packet", "packet", it.ack.String(), "error", err)
			return
		}
		b.buf = out
		return
	}
	if it.ctl != nil {
		out, err := packet.Append(b.buf, it.ctl, c.version)
		if err != nil {
			c.logger().Error("cannot encode packet", "packet", it.ctl.Type().String(), "error", err)
			return
		}
		b.buf = out
		return
	}
	m := it.msg
	var pp *packet.Properties
	if c.version == packet.V5 {
		if c.props == nil {
			c.props = new(packet.Properties)
		}
		pp = c.props
		if !fillProps(pp, m, it.subIDs, now) && !it.dup {
			c.discard(it, "expired")
			return
		}
	} else if m.Expired(now) && !it.dup {
		c.discard(it, "expired")
		return
	}
	topic := m.MQTTTopic()
	if c.maxOut > 0 && uint32(packet.PublishSize(c.version, topic, m.Payload, it.qos, it.dup, it.pid, pp)) > c.maxOut {
		// Larger than the client accepts: discard as if delivered
		// [MQTT-3.1.2-25].
		c.discard(it, "larger than the client's maximum packet size")
		return
	}
	var (
		out []byte
		err error
	)
	if len(m.Payload) >= largePayload {
		out, err = packet.AppendPublishHeader(b.buf, c.version, topic, len(m.Payload), it.qos, it.retain, it.dup, it.pid, pp)
	} else {
		out, err = packet.AppendPublish(b.buf, c.version, topic, m.Payload, it.qos, it.retain, it.dup, it.pid, pp)
	}
	if err != nil {
		c.logger().Error("cannot encode PUBLISH", "topic", topic, "error", err)
		c.discard(it, "unencodable")
		return
	}
	b.buf = out
	if len(m.Payload) >= largePayload {
		b.payload(m.Payload)
	}
}

// discard drops a delivery the writer cannot send; a QoS 1/2 one leaves the
// in-flight window as if acknowledged.
func (c *conn) discard(it *outItem, why string) {
	if it.sub != nil {
		it.sub.CountDropped(1)
	}
	c.sess.dropped.Add(1)
	if it.qos > 0 {
		c.sess.acked(it.pid, time.Now())
	}
	if c.srv.log.IsDebug() {
		c.logger().Debug("message not delivered", "topic", it.msg.MQTTTopic(), "reason", why)
	}
}
