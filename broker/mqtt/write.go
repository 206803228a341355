package mqtt

import (
	"fmt"
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
// once the queue is closed and drained or a write fails. It begins with b and
// items, which writeInline could not finish, or with neither.
func (c *conn) writeLoop(b *batch, items []outItem) {
	if b == nil {
		// Taken here, not by the goroutine that started this one: a
		// pool's batches stay with the P that puts them back.
		b = batches.Get().(*batch)
	}
	defer batches.Put(b)
	for {
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
		var state int
		items, state = c.out.take(items[:0])
		switch state {
		case idle:
			return
		case drained:
			c.finishWriting()
			return
		}
	}
}

// writeInline is the writer of a queue that kick found quiet (see quietGap).
// It writes what is queued on the caller's goroutine, with one system call
// that does not wait: at light load a delivery is then written without
// starting a writer goroutine and switching to it (p50 at 2,000 msgs/s: QoS 1
// 72 to 69 µs, QoS 0 75 to 70 µs; paired runs). Everything else goes to a
// writer goroutine, from the first byte not written: a packet to discard
// (discarding takes the session's lock, which the caller may hold), a large
// payload (writev), a send buffer that is full (the caller must not wait on
// this connection's peer), a write error, or what was queued meanwhile.
func (c *conn) writeInline() {
	b := batches.Get().(*batch)
	items, state := c.out.take(nil)
	if state == haveItems {
		now := time.Now()
		i := 0
		for i < len(items) && b.len() < writeBatch && c.encodeInline(b, &items[i], now) {
			i++
		}
		n, err := c.tw.TryWrite(b.buf)
		b.buf = b.buf[:copy(b.buf, b.buf[n:])]
		if err != nil || len(b.buf) > 0 || i < len(items) {
			clear(items[:i]) // the rest, the writer clears
			go c.writeLoop(b, items[i:])
			return
		}
		putItems(items)
		items, state = c.out.take(nil)
	}
	switch state {
	case haveItems:
		go c.writeLoop(b, items)
		return
	case drained:
		c.finishWriting()
	}
	batches.Put(b)
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

// encode adds one queued item to the batch, or discards it.
func (c *conn) encode(b *batch, it *outItem, now time.Time) {
	why, err := c.encodeItem(b, it, now)
	if err != nil {
		c.logger().Error("cannot encode packet", "error", err)
	}
	if why != "" {
		c.discard(it, why)
	}
}

// encodeInline is encode for writeInline: false, with b unchanged, for an item
// that only a writer goroutine handles (see writeInline).
func (c *conn) encodeInline(b *batch, it *outItem, now time.Time) bool {
	if it.msg != nil && len(it.msg.Payload) >= largePayload {
		return false
	}
	why, err := c.encodeItem(b, it, now)
	return why == "" && err == nil
}

// encodeItem adds one queued item to the batch. It leaves the batch as it
// was when it returns why the item is to be discarded, or an error (an
// unencodable acknowledgement or control packet is skipped).
func (c *conn) encodeItem(b *batch, it *outItem, now time.Time) (why string, err error) {
	if it.ack != 0 {
		out, err := packet.AppendAck(b.buf, c.version, it.ack, it.pid, it.code)
		if err != nil {
			return "", fmt.Errorf("%s: %w", it.ack, err)
		}
		b.buf = out
		return "", nil
	}
	if it.ctl != nil {
		out, err := packet.Append(b.buf, it.ctl, c.version)
		if err != nil {
			return "", fmt.Errorf("%s: %w", it.ctl.Type(), err)
		}
		b.buf = out
		return "", nil
	}
	m := it.msg
	var pp *packet.Properties
	if c.version == packet.V5 {
		if c.props == nil {
			c.props = new(packet.Properties)
		}
		pp = c.props
		if !fillProps(pp, m, it.subIDs, now) && !it.dup {
			return "expired", nil
		}
	} else if m.Expired(now) && !it.dup {
		return "expired", nil
	}
	topic := m.MQTTTopic()
	if c.maxOut > 0 && uint32(packet.PublishSize(c.version, topic, m.Payload, it.qos, it.dup, it.pid, pp)) > c.maxOut {
		// Larger than the client accepts: discard as if delivered
		// [MQTT-3.1.2-25].
		return "larger than the client's maximum packet size", nil
	}
	var out []byte
	if len(m.Payload) >= largePayload {
		out, err = packet.AppendPublishHeader(b.buf, c.version, topic, len(m.Payload), it.qos, it.retain, it.dup, it.pid, pp)
	} else {
		out, err = packet.AppendPublish(b.buf, c.version, topic, m.Payload, it.qos, it.retain, it.dup, it.pid, pp)
	}
	if err != nil {
		return "unencodable", fmt.Errorf("PUBLISH to %s: %w", topic, err)
	}
	b.buf = out
	if len(m.Payload) >= largePayload {
		b.payload(m.Payload)
	}
	return "", nil
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
