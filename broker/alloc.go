package broker

// Allocation of messages together with their bytes.
//
// A message arriving from a connection needs its own copy of the payload
// (the read buffer is reused), and one from a bridge also of its message
// id. Two or three allocations per message were a tenth of a broker's CPU
// at a million messages a second; for small payloads, which is what IoT
// fleets publish, NewMessage makes one: the bytes live in an array behind
// the message in the same object, which stays alive while either is
// referenced.

type (
	msg32 struct {
		m Message
		b [32]byte
	}
	msg64 struct {
		m Message
		b [64]byte
	}
	msg128 struct {
		m Message
		b [128]byte
	}
	msg256 struct {
		m Message
		b [256]byte
	}

	msgProps32 struct {
		m Message
		p Props
		b [32]byte
	}
	msgProps64 struct {
		m Message
		p Props
		b [64]byte
	}
	msgProps128 struct {
		m Message
		p Props
		b [128]byte
	}
	msgProps256 struct {
		m Message
		p Props
		b [256]byte
	}

	msgProps struct {
		m Message
		p Props
	}
)

// NewMessage returns a zero message and n bytes of storage for the caller
// to fill (the payload, and for a bridge the message id), in one
// allocation when n is at most 256. With props the message also has a
// zero Props (m.Props is set). The caller must cap any slice of buf it
// hands out (buf[i:j:j]) so that an append cannot reach the bytes after
// it.
func NewMessage(n int, props bool) (m *Message, buf []byte) {
	if props {
		switch {
		case n == 0:
			x := new(msgProps)
			x.m.Props = &x.p
			return &x.m, nil
		case n <= 32:
			x := new(msgProps32)
			x.m.Props = &x.p
			return &x.m, x.b[:n:n]
		case n <= 64:
			x := new(msgProps64)
			x.m.Props = &x.p
			return &x.m, x.b[:n:n]
		case n <= 128:
			x := new(msgProps128)
			x.m.Props = &x.p
			return &x.m, x.b[:n:n]
		case n <= 256:
			x := new(msgProps256)
			x.m.Props = &x.p
			return &x.m, x.b[:n:n]
		}
		x := new(msgProps)
		x.m.Props = &x.p
		return &x.m, make([]byte, n)
	}
	switch {
	case n == 0:
		return new(Message), nil
	case n <= 32:
		x := new(msg32)
		return &x.m, x.b[:n:n]
	case n <= 64:
		x := new(msg64)
		return &x.m, x.b[:n:n]
	case n <= 128:
		x := new(msg128)
		return &x.m, x.b[:n:n]
	case n <= 256:
		x := new(msg256)
		return &x.m, x.b[:n:n]
	}
	return new(Message), make([]byte, n)
}
