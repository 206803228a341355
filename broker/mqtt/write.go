package mqtt

import (
	"sync"
	"time"

	"github.com/hashi-broker/hashi/broker/mqtt/packet"
)

// writeBatch is how many bytes the writer gathers before a write call.
const writeBatch = 64 * 1024

// writeBufs are the writers' batch buffers, shared by all connections: a
// connection only holds one while it has something to write.
var writeBufs = sync.Pool{New: func() any { b := make([]byte, 0, writeBatch+4096); return &b }}

// writeLoop drains the outbound queue: everything queued is encoded into one
// buffer and written with as few syscalls as possible. It runs while there is
// something to write (outq starts it) and closes writerDone, and the socket,
// once the queue is closed and drained or a write fails.
func (c *conn) writeLoop() {
	bp := writeBufs.Get().(*[]byte)
	buf := (*bp)[:0]
	defer func() {
		*bp = buf[:0]
		writeBufs.Put(bp)
	}()
	var batch []outItem
	for {
		items, state := c.out.take(batch)
		switch state {
		case idle:
			return
		case drained:
			c.finishWriting()
			return
		}
		now := time.Now()
		for i := range items {
			buf = c.encode(buf, &items[i], now)
			if len(buf) >= writeBatch {
				if !c.write(buf) {
					c.failWriting(items[i+1:])
					return
				}
				buf = buf[:0]
			}
		}
		if len(buf) > 0 {
			if !c.write(buf) {
				c.failWriting(nil)
				return
			}
			buf = buf[:0]
		}
		clear(items)
		batch = items[:0]
	}
}

// finishWriting marks the end of the connection's writes.
func (c *conn) finishWriting() {
	c.doneOnce.Do(func() { close(c.writerDone) })
}

// failWriting ends writing after a write error; what is still queued will
// never be written (QoS 1/2 deliveries stay in the session's window).
func (c *conn) failWriting([]outItem) {
	for {
		if _, state := c.out.take(nil); state != haveItems {
			break
		}
	}
	c.finishWriting()
}

func (c *conn) write(b []byte) bool {
	if _, err := c.nc.Write(b); err != nil {
		c.closeWith(packet.UnspecifiedError, "write error: "+err.Error())
		c.nc.Close()
		return false
	}
	return true
}

// encode appends one queued item to buf.
func (c *conn) encode(buf []byte, it *outItem, now time.Time) []byte {
	if it.ctl != nil {
		out, err := packet.Append(buf, it.ctl, c.version)
		if err != nil {
			c.logger().Error("cannot encode packet", "packet", it.ctl.Type().String(), "error", err)
			return buf
		}
		return out
	}
	m := it.msg
	var pp *packet.Properties
	if c.version == packet.V5 {
		if c.props == nil {
			c.props = new(packet.Properties)
		}
		props := c.props
		if !fillProps(props, m, it.subIDs, now) && !it.dup {
			c.discard(it, "expired")
			return buf
		}
		pp = props
	} else if m.Expired(now) && !it.dup {
		c.discard(it, "expired")
		return buf
	}
	start := len(buf)
	out, err := packet.AppendPublish(buf, c.version, m.MQTTTopic(), m.Payload, it.qos, it.retain, it.dup, it.pid, pp)
	if err != nil {
		c.logger().Error("cannot encode PUBLISH", "topic", m.MQTTTopic(), "error", err)
		c.discard(it, "unencodable")
		return buf
	}
	if c.maxOut > 0 && uint32(len(out)-start) > c.maxOut {
		// Larger than the client accepts: discard as if delivered
		// [MQTT-3.1.2-25].
		c.discard(it, "larger than the client's maximum packet size")
		return out[:start]
	}
	return out
}

// discard drops a delivery the writer cannot send; a QoS 1/2 one leaves the
// in-flight window as if acknowledged.
func (c *conn) discard(it *outItem, why string) {
	if it.sub != nil {
		it.sub.CountDropped(1)
	}
	c.sess.dropped.Add(1)
	if it.qos > 0 {
		c.sess.acked(it.pid)
	}
	c.logger().Debug("message not delivered", "topic", it.msg.MQTTTopic(), "reason", why)
}
