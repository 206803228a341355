package stomp

import (
	"strconv"
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
			if it.raw != nil {
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
	if m.Expired(time.Now()) && it.tag == 0 {
		if it.topicSub != nil {
			it.topicSub.CountDropped(1)
		}
		return buf
	}
	d := m.Dest
	if it.tag != 0 {
		d = it.queue
	}
	mid := c.b.MessageID(m)
	f := frame.New(frame.MESSAGE,
		frame.Destination, c.stompDest(d),
		frame.MessageId, mid,
		frame.Subscription, s.id)
	if s.mode != broker.AckAuto {
		ackID := mid
		if it.tag != 0 {
			ackID = strconv.FormatUint(it.tag, 10)
			c.mu.Lock()
			if !s.stopped {
				s.tags[it.tag] = mid
				c.addByMsg(mid, ackRef{s, it.tag})
			}
			c.mu.Unlock()
		}
		if c.version == "1.2" {
			f.Header.Add(frame.Ack, ackID)
		}
	}
	if it.redeliv {
		f.Header.Add("redelivered", "true")
	}
	f.Header.Add("persistent", strconv.FormatBool(m.Persistent))
	f.Header.Add("priority", strconv.Itoa(int(m.Priority)))
	f.Header.Add("timestamp", strconv.FormatInt(m.Timestamp, 10))
	f.Header.Add("expires", strconv.FormatInt(m.Expiry, 10))
	if p := m.Props; p != nil {
		if p.ContentType != "" {
			f.Header.Add(frame.ContentType, p.ContentType)
		}
		if p.CorrelationData != nil {
			f.Header.Add("correlation-id", string(p.CorrelationData))
		}
		if p.ReplyTo.Name != "" {
			f.Header.Add("reply-to", c.stompDest(p.ReplyTo))
		}
		for _, kv := range p.User {
			f.Header.Add(kv.Key, kv.Value)
		}
	}
	f.Header.Add(frame.ContentLength, strconv.Itoa(len(m.Payload)))
	f.Body = m.Payload
	return wire.Append(buf, f, c.version)
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
