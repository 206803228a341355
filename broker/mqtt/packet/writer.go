package packet

import (
	"slices"
	"strconv"
)

// encodable is implemented by every packet type except *Publish, which has
// its own fast path.
type encodable interface {
	Packet
	// remLen validates the packet for the protocol level and returns its
	// Remaining Length.
	remLen(version byte) (int, error)
	// appendBody appends the variable header and payload; it is called
	// only after remLen succeeded.
	appendBody(dst []byte, version byte) []byte
}

// fixedFlags returns the reserved flag bits of the fixed header
// [MQTT-2.1.3-1] (3.1.1: [MQTT-2.2.2-1]).
func fixedFlags(t Type) byte {
	switch t {
	case TypePubrel, TypeSubscribe, TypeUnsubscribe:
		return 2
	}
	return 0
}

// Append appends the encoding of p for the protocol level version to dst
// and returns the extended slice. It computes the lengths first and grows
// dst at most once, so it does not allocate when dst has capacity. On
// error dst is returned unchanged.
//
// For a *Connect the level is c.ProtocolVersion when set. For levels 3
// and 4, what those versions cannot carry is left out: properties, MQTT 5
// subscription options, UNSUBACK reason codes, the DISCONNECT reason code;
// a CONNACK reason code is mapped with ConnackCodeFor and a SUBACK failure
// code becomes 0x80. A packet that the decoder would reject (for example
// QoS 3, packet identifier 0, a property not valid in the packet, a
// reason code the packet cannot carry) is an error. Strings are not
// checked for UTF-8 validity.
func Append(dst []byte, p Packet, version byte) ([]byte, error) {
	if pub, ok := p.(*Publish); ok {
		if pub == nil {
			return dst, errNilPacket
		}
		return AppendPublish(dst, version, pub.Topic, pub.Payload, pub.QoS, pub.Retain, pub.Dup, pub.PacketID, pub.Properties)
	}
	e, lv, err := prepare(p, version)
	if err != nil {
		return dst, err
	}
	n, err := e.remLen(lv)
	if err != nil {
		return dst, err
	}
	if n > MaxRemainingLength {
		return dst, newErr(PacketTooLarge, e.Type(), "Remaining Length "+strconv.Itoa(n)+" exceeds 268,435,455")
	}
	t := e.Type()
	dst = slices.Grow(dst, 1+varIntLen(n)+n)
	dst = appendVarInt(append(dst, byte(t)<<4|fixedFlags(t)), n)
	return e.appendBody(dst, lv), nil
}

var errNilPacket = newErr(ImplementationSpecificError, 0, "nil packet")

// prepare checks that p can be encoded and returns the protocol level to
// use.
func prepare(p Packet, version byte) (encodable, byte, error) {
	e, ok := p.(encodable)
	if !ok || p == nil || isNil(p) {
		return nil, 0, errNilPacket
	}
	if c, ok := p.(*Connect); ok {
		version = c.level(version)
	}
	if !validVersion(version) {
		return nil, 0, newErr(UnsupportedProtocolVersion, p.Type(), "cannot encode for protocol level "+strconv.Itoa(int(version)))
	}
	return e, version, nil
}

func isNil(p Packet) bool {
	switch p := p.(type) {
	case *Connect:
		return p == nil
	case *Connack:
		return p == nil
	case *Ack:
		return p == nil
	case *Subscribe:
		return p == nil
	case *Suback:
		return p == nil
	case *Unsubscribe:
		return p == nil
	case *Unsuback:
		return p == nil
	case *Pingreq:
		return p == nil
	case *Pingresp:
		return p == nil
	case *Disconnect:
		return p == nil
	case *Auth:
		return p == nil
	}
	return true
}

// Size returns the number of bytes Append would produce for p, fixed header
// included, or -1 if p cannot be encoded for that protocol level.
func Size(p Packet, version byte) int {
	if pub, ok := p.(*Publish); ok {
		if pub == nil {
			return -1
		}
		return PublishSize(version, pub.Topic, pub.Payload, pub.QoS, pub.Dup, pub.PacketID, pub.Properties)
	}
	e, lv, err := prepare(p, version)
	if err != nil {
		return -1
	}
	n, err := e.remLen(lv)
	if err != nil || n > MaxRemainingLength {
		return -1
	}
	return 1 + varIntLen(n) + n
}

func (*Pingreq) remLen(byte) (int, error)              { return 0, nil }
func (*Pingreq) appendBody(dst []byte, _ byte) []byte  { return dst }
func (*Pingresp) remLen(byte) (int, error)             { return 0, nil }
func (*Pingresp) appendBody(dst []byte, _ byte) []byte { return dst }
