package broker

import "unsafe"

// Allocation of messages together with their bytes.
//
// A message arriving from a connection needs its own copy of the payload
// (the read buffer is reused), and one from a bridge also of its id. Two
// or three allocations per message were a tenth of a broker's CPU at a
// million messages a second; for small payloads, which is what IoT fleets
// publish, NewMessage makes one: the bytes live in an array behind the
// message in the same object, which stays alive while either is
// referenced.

type (
	msgID struct {
		m  Message
		id string
	}
	msg32 struct {
		msgID
		b [32]byte
	}
	msg64 struct {
		msgID
		b [64]byte
	}
	msg128 struct {
		msgID
		b [128]byte
	}
	msg256 struct {
		msgID
		b [256]byte
	}
)

// NewMessage returns a zero message with n bytes for its payload, capped
// so that no append reaches past them, and with id (if any) as the id it
// arrived with (SetID), in one allocation when they take at most 256
// bytes together.
func NewMessage(n int, id []byte) (*Message, []byte) {
	total := n + len(id)
	var (
		x   *msgID
		buf []byte
	)
	switch {
	case total == 0:
		return new(Message), nil
	case total <= 32:
		y := new(msg32)
		x, buf = &y.msgID, y.b[:total:total]
	case total <= 64:
		y := new(msg64)
		x, buf = &y.msgID, y.b[:total:total]
	case total <= 128:
		y := new(msg128)
		x, buf = &y.msgID, y.b[:total:total]
	case total <= 256:
		y := new(msg256)
		x, buf = &y.msgID, y.b[:total:total]
	default:
		x, buf = new(msgID), make([]byte, total)
	}
	if len(id) > 0 {
		copy(buf[n:], id)
		x.id = unsafe.String(&buf[n], len(id))
		x.m.id.Store(&x.id)
	}
	return &x.m, buf[:n:n]
}
