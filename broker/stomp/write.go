package stomp

import (
	"time"

	"github.com/go-stomp/stomp/v3/frame"

	"github.com/hashi-broker/hashi/broker"
	wire "github.com/hashi-broker/hashi/broker/stomp/frame"
)

const writeBatch = 64 * 1024

// writeLoop drains the outbound queue into as few writes as possible and
// sends a heart-beat when nothing else went out for hbOut. Queue deliveries
// with ack:auto are acknowledged as they are encoded (see claim).
func (c *conn) writeLoop() {
	defer close(c.writerDone)
	var (
		batch []outItem
		buf   = make([]byte, 0, writeBatch+4096)
	)
	for {
		items, ok := c.out.take(batch, c.hbOut)
		if !ok {
			return
		}
		if items == nil {
			buf = wire.AppendHeartBeat(buf[:0])
			if !c.write(buf) {
				return
			}
			continue
		}
		for i := range items {
			it := &items[i]
			if it.receipt != "" {
				buf = wire.Start(buf, frame.RECEIPT, c.version).Header(frame.ReceiptId, it.receipt).End(nil, false)
			} else if it.raw != nil {
				buf = append(buf, it.raw...)
			} else {
				buf = c.encodeMessage(buf, it)
			}
			if len(buf) >= writeBatch {
				if !c.write(buf) {
					return
				}
				buf = buf[:0]
			}
		}
		if len(buf) > 0 && !c.write(buf) {
			return
		}
		buf = buf[:0]
		clear(items)
		batch = items[:0]
	}
}

func (c *conn) write(b []byte) bool {
	if _, err := c.nc.Write(b); err != nil {
		c.closeWith("write error: " + err.Error())
		c.nc.Close()
		return false
	}
	return true
}

// encodeMessage appends a MESSAGE frame for a delivery. Deliveries that need
// an ACK are recorded so the client's ACK finds them.
func (c *conn) encodeMessage(buf []byte, it *outItem) []byte {
	m, s := it.msg, it.sub
	if it.tag != 0 && !claim(it) {
		return buf
	}
	if m.Expiry != 0 && m.Expired(time.Now()) && it.tag == 0 {
		if it.topicSub != nil {
			it.topicSub.CountDropped(1)
		}
		return buf
	}
	d := m.Dest
	if it.tag != 0 {
		d = it.queue
	}
	f := wire.Start(buf, frame.MESSAGE, c.version).Header(frame.Destination, c.writerDest(d))
	// A 1.2 client acknowledges a queue delivery by its ack header (the
	// tag): the message-id is then only written, never kept, and is
	// formatted into the frame without building the string.
	var mid string
	if id := m.KnownID(); id != "" || c.version != "1.2" || it.tag == 0 {
		mid = c.b.MessageID(m)
		f = f.Header(frame.MessageId, mid)
	} else {
		f = f.HeaderID(frame.MessageId, c.b.ID(), m.Seq)
	}
	f = f.Header(frame.Subscription, s.id)
	if s.mode != broker.AckAuto {
		if it.tag != 0 {
			c.mu.Lock()
			if !s.stopped {
				s.tags[it.tag] = mid
				c.addByMsg(mid, ackRef{s, it.tag})
			}
			c.mu.Unlock()
		}
		if c.version == "1.2" {
			if it.tag != 0 {
				f = f.HeaderInt(frame.Ack, int64(it.tag))
			} else {
				f = f.Header(frame.Ack, mid)
			}
		}
	}
	if it.redeliv {
		f = f.Header("redelivered", "true")
	}
	if m.Persistent {
		f = f.Header("persistent", "true")
	} else {
		f = f.Header("persistent", "false")
	}
	f = f.HeaderInt("priority", int64(m.Priority)).HeaderInt("timestamp", m.Timestamp).HeaderInt("expires", m.Expiry)
	if p := m.Props; p != nil {
		if p.ContentType != "" {
			f = f.Header(frame.ContentType, p.ContentType)
		}
		if p.CorrelationData != nil {
			f = f.Header("correlation-id", string(p.CorrelationData))
		}
		if p.ReplyTo.Name != "" {
			f = f.Header("reply-to", c.stompDest(p.ReplyTo))
		}
		for _, kv := range p.User {
			if kv.Key != "" && kv.Key != frame.ContentLength {
				f = f.Header(kv.Key, kv.Value)
			}
		}
	}
	return f.End(m.Payload, true)
}

// claim reports whether a queue delivery is still this subscription's to
// write. When a subscription ends (UNSUBSCRIBE) its unacknowledged
// deliveries go back to the queue for other consumers, including those
// still waiting here: writing them too would deliver them twice. With
// ack:auto the delivery is acknowledged now, before the write, as ActiveMQ
// does on dispatch, so it is either written here or taken back, never both.
func claim(it *outItem) bool {
	if it.sub.mode == broker.AckAuto {
		return it.sub.consumer.Ack(it.tag)
	}
	return it.sub.consumer.Outstanding(it.tag)
}
