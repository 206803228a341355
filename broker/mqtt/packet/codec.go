package packet

import (
	"bytes"
	"encoding/binary"
	"strings"
	"unicode/utf8"
)

// decoder reads the fields of one packet body. Every method checks bounds
// against the Remaining Length, so no input can make it panic.
type decoder struct {
	b       []byte
	pos     int
	typ     Type
	version byte
}

func (d *decoder) fail(code ReasonCode, field, what string) error {
	return newErr(code, d.typ, field+": "+what)
}

func (d *decoder) truncated(field string) error {
	return d.fail(MalformedPacket, field, "truncated (beyond Remaining Length)")
}

func (d *decoder) left() int { return len(d.b) - d.pos }

func (d *decoder) u8(field string) (byte, error) {
	if d.pos >= len(d.b) {
		return 0, d.truncated(field)
	}
	c := d.b[d.pos]
	d.pos++
	return c, nil
}

func (d *decoder) u16(field string) (uint16, error) {
	if d.left() < 2 {
		return 0, d.truncated(field)
	}
	v := binary.BigEndian.Uint16(d.b[d.pos:])
	d.pos += 2
	return v, nil
}

func (d *decoder) u32(field string) (uint32, error) {
	if d.left() < 4 {
		return 0, d.truncated(field)
	}
	v := binary.BigEndian.Uint32(d.b[d.pos:])
	d.pos += 4
	return v, nil
}

// varInt reads a Variable Byte Integer (§1.5.5), at most four bytes.
// Non-minimal encodings are accepted.
func (d *decoder) varInt(field string) (int, error) {
	v := 0
	for i := 0; i < 4; i++ {
		c, err := d.u8(field)
		if err != nil {
			return 0, err
		}
		v |= int(c&0x7F) << (7 * i)
		if c < 0x80 {
			return v, nil
		}
	}
	return 0, d.fail(MalformedPacket, field, "Variable Byte Integer longer than 4 bytes (§1.5.5)")
}

// raw reads a two byte length and returns a view of that many bytes.
func (d *decoder) raw(field string) ([]byte, error) {
	n, err := d.u16(field)
	if err != nil {
		return nil, err
	}
	if d.left() < int(n) {
		return nil, d.truncated(field)
	}
	b := d.b[d.pos : d.pos+int(n)]
	d.pos += int(n)
	return b, nil
}

// rawUTF8 reads a UTF-8 Encoded String and validates it [MQTT-1.5.4-1,
// MQTT-1.5.4-2] (3.1.1: [MQTT-1.5.3-1, MQTT-1.5.3-2]).
func (d *decoder) rawUTF8(field string) ([]byte, error) {
	b, err := d.raw(field)
	if err != nil {
		return nil, err
	}
	if !validUTF8(b) {
		return nil, d.fail(MalformedPacket, field, "ill-formed UTF-8 or U+0000 [MQTT-1.5.4-1, MQTT-1.5.4-2; 3.1.1: MQTT-1.5.3-1, MQTT-1.5.3-2]")
	}
	return b, nil
}

func (d *decoder) str(field string) (string, error) {
	b, err := d.rawUTF8(field)
	return string(b), err
}

// bin reads Binary Data and copies it (nil when empty).
func (d *decoder) bin(field string) ([]byte, error) {
	b, err := d.raw(field)
	if err != nil || len(b) == 0 {
		return nil, err
	}
	return bytes.Clone(b), nil
}

// end reports trailing bytes that no field accounts for.
func (d *decoder) end() error {
	if d.pos != len(d.b) {
		return d.fail(MalformedPacket, "packet", "bytes left after the last field (Remaining Length mismatch)")
	}
	return nil
}

// packetID reads a Packet Identifier, which must be non-zero
// [MQTT-2.2.1-3] (3.1.1: [MQTT-2.3.1-1]).
func (d *decoder) packetID() (uint16, error) {
	id, err := d.u16("packet identifier")
	if err == nil && id == 0 {
		err = d.fail(ProtocolError, "packet identifier", "must be non-zero [MQTT-2.2.1-3]")
	}
	return id, err
}

// validUTF8 reports whether b is well-formed UTF-8 without U+0000. Pure
// ASCII, the common case for topics, takes a fast path.
func validUTF8(b []byte) bool {
	for i := 0; i < len(b); i++ {
		c := b[i]
		if c == 0 {
			return false
		}
		if c >= utf8.RuneSelf {
			rest := b[i:]
			return utf8.Valid(rest) && bytes.IndexByte(rest, 0) < 0
		}
	}
	return true
}

func validUTF8String(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == 0 {
			return false
		}
		if c >= utf8.RuneSelf {
			rest := s[i:]
			return utf8.ValidString(rest) && strings.IndexByte(rest, 0) < 0
		}
	}
	return true
}

// Encoding primitives. Callers check lengths before appending.

func varIntLen(n int) int {
	switch {
	case n < 1<<7:
		return 1
	case n < 1<<14:
		return 2
	case n < 1<<21:
		return 3
	}
	return 4
}

func appendVarInt(dst []byte, n int) []byte {
	for n >= 0x80 {
		dst = append(dst, byte(n)|0x80)
		n >>= 7
	}
	return append(dst, byte(n))
}

func appendU16(dst []byte, v uint16) []byte { return append(dst, byte(v>>8), byte(v)) }

func appendU32(dst []byte, v uint32) []byte {
	return append(dst, byte(v>>24), byte(v>>16), byte(v>>8), byte(v))
}

func appendStr(dst []byte, s string) []byte {
	dst = append(dst, byte(len(s)>>8), byte(len(s)))
	return append(dst, s...)
}

func appendBin(dst []byte, b []byte) []byte {
	dst = append(dst, byte(len(b)>>8), byte(len(b)))
	return append(dst, b...)
}
