package packet

import (
	"bufio"
	"bytes"
	"errors"
	"hash/maphash"
	"io"
	"strconv"
)

// DefaultBufferSize is the read buffer size used when NewReader is given
// a size <= 0.
const DefaultBufferSize = 4096

// largeChunk is the first allocation for a body that does not fit the read
// buffer; the buffer then doubles as data actually arrives, so a header
// that announces a huge packet costs at most this much until the bytes come.
const largeChunk = 64 << 10

// Reader decodes MQTT control packets from a byte stream.
//
// Packets whose body fits the read buffer are decoded in place (the buffer
// is reused); everything a returned packet holds is copied out of it, so
// packets stay valid after the next Read. A larger body is read into a new
// slice that grows only as data arrives, and a PUBLISH payload then aliases
// it instead of being copied again.
//
// A Reader is not safe for concurrent use.
type Reader struct {
	// MaxPacketSize is the largest accepted packet, fixed header included
	// (MQTT 5 "Maximum Packet Size" semantics). 0 means no limit beyond the
	// spec maximum Remaining Length of 268,435,455.
	MaxPacketSize int

	// Version is the protocol level used to decode packets: V31, V311 or
	// V5, or 0 before the CONNECT is read, in which case only a CONNECT is
	// accepted. After a CONNECT with a supported level is read, Version is
	// set to that level.
	Version byte

	// Borrow makes Read return every PUBLISH in one Publish value owned by
	// the Reader, its Payload aliasing the read buffer, and every PUBACK,
	// PUBREC, PUBREL and PUBCOMP in one Ack value: all are valid until the
	// next Read. A caller that copies what it keeps saves an allocation
	// (and for PUBLISH a copy) per message.
	Borrow bool
	pub    *Publish // the lent PUBLISH, made on the first one
	ack    *Ack     // the lent acknowledgement, made on the first one

	br   *bufio.Reader
	src  io.Reader
	err  error // sticky: the stream is out of sync
	seed maphash.Seed
	// topics is a small direct-mapped cache of recent PUBLISH topic names,
	// so a client that publishes to the same topics does not allocate a new
	// string per message. Strings are immutable, so sharing is safe.
	topics *[topicCacheSize]string // made on the first PUBLISH
	last   string                  // the last topic interned: checked before hashing
}

const (
	topicCacheSize   = 16
	topicCacheMaxLen = 128
)

// NewReader returns a Reader that reads from r through a buffer of bufSize
// bytes (DefaultBufferSize when <= 0). If r is a *bufio.Reader at least
// that large it is used directly.
func NewReader(r io.Reader, bufSize int) *Reader {
	if bufSize <= 0 {
		bufSize = DefaultBufferSize
	}
	return &Reader{br: bufio.NewReaderSize(r, bufSize), src: r, seed: maphash.MakeSeed()}
}

// Grow enlarges the read buffer to size bytes, keeping what is buffered. A
// server starts connections with a small buffer (idle devices cost little)
// and grows it for the busy ones.
func (r *Reader) Grow(size int) {
	if r.br.Size() >= size {
		return
	}
	var src io.Reader = r.src
	if n := r.br.Buffered(); n > 0 {
		b, _ := r.br.Peek(n)
		src = io.MultiReader(bytes.NewReader(append([]byte(nil), b...)), r.src)
	}
	r.br = bufio.NewReaderSize(src, size)
}

// Reset discards buffered data and state (except MaxPacketSize) and reads
// from r; Version is set to 0.
func (r *Reader) Reset(rd io.Reader) {
	r.br.Reset(rd)
	r.src = rd
	r.err = nil
	r.Version = 0
	r.topics, r.last = nil, ""
}

// SetMaxPacketSize sets MaxPacketSize.
func (r *Reader) SetMaxPacketSize(n int) { r.MaxPacketSize = n }

// SetVersion sets the protocol level used for the following packets.
func (r *Reader) SetVersion(v byte) { r.Version = v }

// Buffered returns the number of bytes already read from the stream but not
// yet decoded.
func (r *Reader) Buffered() int { return r.br.Buffered() }

// Read reads and decodes the next packet.
//
// It returns io.EOF when the stream ends at a packet boundary and
// io.ErrUnexpectedEOF when it ends inside a packet; other I/O errors are
// returned as they are. Decode errors are *Error values with a reason code.
// I/O errors inside a packet and errors in the fixed header (reserved type
// or flags, Remaining Length, PacketTooLarge) leave the stream out of sync
// and are returned again by every later call; an error in a body leaves the
// stream at the next packet, but MQTT requires the connection to be closed
// after a Malformed Packet or Protocol Error anyway.
//
// A CONNECT with an unsupported protocol name or level is returned together
// with an UnsupportedProtocolVersion error, so that the server can answer
// with CONNACK 0x01 (3.1.1) or 0x84 (5.0).
func (r *Reader) Read() (Packet, error) {
	if r.err != nil {
		return nil, r.err
	}
	b0, err := r.br.ReadByte()
	if err != nil {
		// Nothing was consumed: the stream is still at a packet boundary
		// (io.EOF, or a read deadline the caller may retry after).
		return nil, err
	}
	n, hlen, err := r.remainingLength()
	if err != nil {
		return nil, r.fail(err)
	}
	if err := checkHeader(b0, r.Version); err != nil {
		return nil, r.fail(err)
	}
	if r.MaxPacketSize > 0 && 1+hlen+n > r.MaxPacketSize {
		return nil, r.fail(newErr(PacketTooLarge, Type(b0>>4),
			"packet of "+strconv.Itoa(1+hlen+n)+" bytes exceeds the maximum of "+strconv.Itoa(r.MaxPacketSize)))
	}
	var (
		p    Packet
		body []byte
	)
	if n <= r.br.Size() {
		if body, err = r.br.Peek(n); err != nil {
			return nil, r.fail(unexpected(err))
		}
		p, err = decodeBody(b0, body, r.Version, false, r)
		_, _ = r.br.Discard(n) // cannot fail: n bytes are buffered
	} else {
		if body, err = r.readLarge(n); err != nil {
			return nil, r.fail(err)
		}
		p, err = decodeBody(b0, body, r.Version, true, r)
	}
	if c, ok := p.(*Connect); ok && err == nil {
		r.Version = c.ProtocolVersion
	}
	return p, err
}

// Ready reports whether a whole packet is buffered, so that Read returns
// without waiting for the network.
func (r *Reader) Ready() bool {
	n := r.br.Buffered()
	if n < 2 {
		return false
	}
	b, _ := r.br.Peek(min(n, 5))
	rem := 0
	for i, c := range b[1:] {
		rem |= int(c&0x7F) << (7 * i)
		if c < 0x80 {
			return n >= 2+i+rem
		}
	}
	return false // a Remaining Length still arriving, or malformed: Read will tell
}

// fail records an error after which the stream is out of sync.
func (r *Reader) fail(err error) error {
	r.err = err
	return err
}

// remainingLength reads the Remaining Length (§2.1.4; 3.1.1 §2.2.3): at
// most four bytes. A fifth byte is a Malformed Packet.
func (r *Reader) remainingLength() (n, size int, err error) {
	for i := 0; i < 4; i++ {
		c, err := r.br.ReadByte()
		if err != nil {
			return 0, 0, unexpected(err)
		}
		n |= int(c&0x7F) << (7 * i)
		if c < 0x80 {
			return n, i + 1, nil
		}
	}
	return 0, 0, newErr(MalformedPacket, 0, "Remaining Length longer than 4 bytes (§1.5.5)")
}

// readLarge reads a body larger than the read buffer into a new slice. The
// slice grows geometrically as bytes arrive, so the memory allocated is
// bounded by about twice what the peer actually sent plus largeChunk.
func (r *Reader) readLarge(n int) ([]byte, error) {
	buf := make([]byte, 0, min(n, max(largeChunk, r.br.Size())))
	for len(buf) < n {
		if len(buf) == cap(buf) {
			nb := make([]byte, len(buf), min(n, 2*cap(buf)))
			copy(nb, buf)
			buf = nb
		}
		m, err := io.ReadFull(r.br, buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+m]
		if err != nil {
			return nil, unexpected(err)
		}
	}
	return buf, nil
}

func unexpected(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}

// intern returns the topic as a string, reusing a cached string when the
// same topic was seen recently.
func (r *Reader) intern(b []byte) string {
	if len(b) > topicCacheMaxLen || len(b) == 0 {
		return string(b)
	}
	if r.last == string(b) { // a device mostly publishes to one topic
		return r.last
	}
	if r.topics == nil {
		r.topics = new([topicCacheSize]string)
	}
	slot := &r.topics[maphash.Bytes(r.seed, b)%topicCacheSize]
	if *slot != string(b) {
		*slot = string(b)
	}
	r.last = *slot
	return r.last
}

// Decode decodes one packet from the start of buf for the given protocol
// level (0 = before CONNECT: only CONNECT is accepted). It returns the
// packet and the number of bytes it occupied. If buf holds only part of a
// packet it returns io.ErrUnexpectedEOF and n = 0. When the frame is
// complete but its content is invalid, n is the frame length. The packet
// does not reference buf.
func Decode(buf []byte, version byte) (p Packet, n int, err error) {
	if len(buf) < 2 {
		return nil, 0, io.ErrUnexpectedEOF
	}
	rem, i := 0, 1
	for ; ; i++ {
		if i > 4 {
			return nil, 0, newErr(MalformedPacket, 0, "Remaining Length longer than 4 bytes (§1.5.5)")
		}
		if i >= len(buf) {
			return nil, 0, io.ErrUnexpectedEOF
		}
		c := buf[i]
		rem |= int(c&0x7F) << (7 * (i - 1))
		if c < 0x80 {
			break
		}
	}
	if err := checkHeader(buf[0], version); err != nil {
		return nil, 0, err
	}
	end := i + 1 + rem
	if end > len(buf) {
		return nil, 0, io.ErrUnexpectedEOF
	}
	p, err = decodeBody(buf[0], buf[i+1:end], version, false, nil)
	return p, end, err
}
