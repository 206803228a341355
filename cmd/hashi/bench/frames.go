package bench

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/hashi-broker/hashi/broker/mqtt/packet"
)

// ErrProtocol is wrapped by errors about what a peer sent.
var ErrProtocol = errors.New("bench: protocol error")

// frameReader splits an MQTT byte stream into whole packets without
// decoding them, so that the hot packets (PUBLISH, PUBACK) are handled in
// place and never allocate; rare ones go to packet.Decode.
type frameReader struct {
	br    *bufio.Reader
	skip  int    // bytes of the previous frame still to discard
	large []byte // frames bigger than the read buffer
}

func newFrameReader(r io.Reader, size int) frameReader {
	return frameReader{br: bufio.NewReaderSize(r, size)}
}

// next returns the next packet: its first byte, the whole frame (fixed
// header included) and the fixed header's length. The frame is valid until
// the next call.
func (f *frameReader) next() (b0 byte, frame []byte, hl int, err error) {
	if f.skip > 0 {
		_, _ = f.br.Discard(f.skip) // buffered: cannot fail
		f.skip = 0
	}
	h, err := f.br.Peek(2)
	if err != nil {
		return 0, nil, 0, err
	}
	rem := 0
	for i := 0; ; i++ {
		if i == 4 {
			return 0, nil, 0, fmt.Errorf("%w: MQTT remaining length longer than 4 bytes", ErrProtocol)
		}
		if 1+i >= len(h) {
			if h, err = f.br.Peek(2 + i); err != nil {
				return 0, nil, 0, unexpectedEOF(err)
			}
		}
		c := h[1+i]
		rem |= int(c&0x7F) << (7 * i)
		if c < 0x80 {
			hl = 2 + i
			break
		}
	}
	n := hl + rem
	if n <= f.br.Size() {
		frame, err = f.br.Peek(n)
		if err != nil {
			return 0, nil, 0, unexpectedEOF(err)
		}
		f.skip = n
		return frame[0], frame, hl, nil
	}
	if cap(f.large) < n {
		f.large = make([]byte, n)
	}
	frame = f.large[:n]
	if _, err := io.ReadFull(f.br, frame); err != nil {
		return 0, nil, 0, unexpectedEOF(err)
	}
	return frame[0], frame, hl, nil
}

func (f *frameReader) buffered() int { return f.br.Buffered() - f.skip }

func unexpectedEOF(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}

// publishParts locates the packet id and payload of a PUBLISH frame.
func publishParts(frame []byte, hl int, version byte) (qos byte, pid uint16, payload []byte, err error) {
	qos = frame[0] >> 1 & 3
	body := frame[hl:]
	if len(body) < 2 {
		return 0, 0, nil, fmt.Errorf("%w: short PUBLISH", ErrProtocol)
	}
	pos := 2 + int(binary.BigEndian.Uint16(body))
	if qos > 0 {
		if pos+2 > len(body) {
			return 0, 0, nil, fmt.Errorf("%w: short PUBLISH", ErrProtocol)
		}
		pid = binary.BigEndian.Uint16(body[pos:])
		pos += 2
	}
	if version == packet.V5 {
		pl, n := 0, 0
		for i := 0; ; i++ {
			if i == 4 || pos+i >= len(body) {
				return 0, 0, nil, fmt.Errorf("%w: bad PUBLISH properties length", ErrProtocol)
			}
			c := body[pos+i]
			pl |= int(c&0x7F) << (7 * i)
			if c < 0x80 {
				n = i + 1
				break
			}
		}
		pos += n + pl
	}
	if pos > len(body) {
		return 0, 0, nil, fmt.Errorf("%w: short PUBLISH", ErrProtocol)
	}
	return qos, pid, body[pos:], nil
}

// ackParts returns the packet id of a PUBACK/PUBREC/PUBREL/PUBCOMP frame and,
// for MQTT 5, its reason code (0 when omitted).
func ackParts(frame []byte, hl int) (pid uint16, code byte, err error) {
	body := frame[hl:]
	if len(body) < 2 {
		return 0, 0, fmt.Errorf("%w: short acknowledgement", ErrProtocol)
	}
	if len(body) > 2 {
		code = body[2]
	}
	return binary.BigEndian.Uint16(body), code, nil
}
