package packet

import (
	"encoding/binary"
	"slices"
)

// Publish is the PUBLISH packet (§3.3).
//
// When decoded, Topic and Payload do not alias the Reader's buffer: the
// caller owns Payload and may keep it (unless the Reader lends its packets:
// Reader.Borrow). Topic may be shared with earlier packets from the same
// Reader (strings are immutable). An empty payload decodes as nil.
type Publish struct {
	Dup        bool
	QoS        byte
	Retain     bool
	Topic      string
	PacketID   uint16      // only when QoS > 0
	Properties *Properties // MQTT 5 only
	Payload    []byte
}

// Type implements Packet.
func (*Publish) Type() Type { return TypePublish }

func decodePublish(b0 byte, body []byte, version byte, owned bool, r *Reader) (Packet, error) {
	qos := b0 >> 1 & 3 // 3 was rejected by checkHeader
	if len(body) < 2 {
		return nil, newErr(MalformedPacket, TypePublish, "topic name: truncated (beyond Remaining Length)")
	}
	tl := int(binary.BigEndian.Uint16(body))
	pos := 2 + tl
	if pos > len(body) {
		return nil, newErr(MalformedPacket, TypePublish, "topic name: truncated (beyond Remaining Length)")
	}
	tb := body[2:pos]
	if !validUTF8(tb) {
		return nil, newErr(MalformedPacket, TypePublish, "topic name: ill-formed UTF-8 or U+0000 [MQTT-1.5.4-1, MQTT-1.5.4-2; 3.1.1: MQTT-1.5.3-1, MQTT-1.5.3-2]")
	}
	var pid uint16
	if qos > 0 {
		if len(body)-pos < 2 {
			return nil, newErr(MalformedPacket, TypePublish, "packet identifier: truncated (beyond Remaining Length)")
		}
		pid = binary.BigEndian.Uint16(body[pos:])
		if pid == 0 {
			return nil, newErr(ProtocolError, TypePublish, "packet identifier: must be non-zero when QoS > 0 [MQTT-2.2.1-3] (3.1.1: [MQTT-2.3.1-1])")
		}
		pos += 2
	}
	var props *Properties
	if version == V5 {
		d := decoder{b: body, pos: pos, typ: TypePublish, version: version}
		var err error
		if props, err = d.props(TypePublish); err != nil {
			return nil, err
		}
		pos = d.pos
	}
	if tl == 0 && !props.Has(PropTopicAlias) {
		// [MQTT-4.7.3-1] (3.1.1 too); in MQTT 5 a Topic Alias may stand in
		// for the name (§3.3.2.3.4).
		return nil, newErr(ProtocolError, TypePublish, "topic name: empty without a Topic Alias [MQTT-4.7.3-1]")
	}
	var p *Publish
	if r != nil && r.Borrow {
		if r.pub == nil {
			r.pub = new(Publish)
		}
		p = r.pub
		owned = true // valid until the next Read, which is all Borrow promises
	} else {
		p = new(Publish)
	}
	*p = Publish{
		Dup:        b0&8 != 0,
		QoS:        qos,
		Retain:     b0&1 != 0,
		PacketID:   pid,
		Properties: props,
	}
	if r != nil {
		p.Topic = r.intern(tb)
	} else {
		p.Topic = string(tb)
	}
	if rest := body[pos:]; len(rest) > 0 {
		if owned {
			p.Payload = rest[:len(rest):len(rest)]
		} else {
			// append allocates without zeroing what it then copies over
			p.Payload = append([]byte(nil), rest...)
		}
	}
	return p, nil
}

// publishLen validates the fields of a PUBLISH and returns its Remaining
// Length and the length of its properties.
func publishLen(version byte, topic string, payloadLen int, qos byte, dup bool, pid uint16, props *Properties) (rem, pl int, err error) {
	if !validVersion(version) {
		return 0, 0, newErr(UnsupportedProtocolVersion, TypePublish, "cannot encode for this protocol level")
	}
	if qos > 2 {
		return 0, 0, newErr(MalformedPacket, TypePublish, "QoS must be 0, 1 or 2 [MQTT-3.3.1-4]")
	}
	if qos == 0 && dup {
		return 0, 0, newErr(MalformedPacket, TypePublish, "DUP must be 0 for QoS 0 [MQTT-3.3.1-2]")
	}
	if qos > 0 && pid == 0 {
		return 0, 0, newErr(ProtocolError, TypePublish, "packet identifier must be non-zero when QoS > 0 [MQTT-2.2.1-3]")
	}
	if len(topic) > MaxStringLen {
		return 0, 0, newErr(MalformedPacket, TypePublish, "topic name longer than 65535 bytes")
	}
	rem = 2 + len(topic) + payloadLen
	if qos > 0 {
		rem += 2
	}
	if version == V5 {
		if props != nil {
			if err := props.check(TypePublish, TypePublish); err != nil {
				return 0, 0, err
			}
			pl = propsLen(props)
		}
		rem += varIntLen(pl) + pl
		if len(topic) == 0 && !props.Has(PropTopicAlias) {
			return 0, 0, newErr(ProtocolError, TypePublish, "empty topic name without a Topic Alias")
		}
	} else if len(topic) == 0 {
		return 0, 0, newErr(ProtocolError, TypePublish, "empty topic name [MQTT-4.7.3-1]")
	}
	if rem > MaxRemainingLength {
		return 0, 0, newErr(PacketTooLarge, TypePublish, "Remaining Length exceeds 268,435,455")
	}
	return rem, pl, nil
}

// AppendPublish appends a PUBLISH built from its fields, without a Publish
// value; this is the fast path for sending one stored message to many
// subscribers. props is ignored for protocol levels before 5. It does not
// allocate when dst has enough capacity, and returns dst unchanged on
// error. Strings are not re-validated as UTF-8.
func AppendPublish(dst []byte, version byte, topic string, payload []byte, qos byte, retain, dup bool, pid uint16, props *Properties) ([]byte, error) {
	dst, err := AppendPublishHeader(dst, version, topic, len(payload), qos, retain, dup, pid, props)
	if err != nil {
		return dst, err
	}
	return append(dst, payload...), nil
}

// AppendPublishHeader appends everything of a PUBLISH but its payload of
// payloadLen bytes, which the caller writes next (a writer sends large
// payloads from the message itself with writev instead of copying them).
func AppendPublishHeader(dst []byte, version byte, topic string, payloadLen int, qos byte, retain, dup bool, pid uint16, props *Properties) ([]byte, error) {
	rem, pl, err := publishLen(version, topic, payloadLen, qos, dup, pid, props)
	if err != nil {
		return dst, err
	}
	b0 := byte(TypePublish)<<4 | qos<<1
	if dup {
		b0 |= 8
	}
	if retain {
		b0 |= 1
	}
	dst = slices.Grow(dst, 1+varIntLen(rem)+rem-payloadLen)
	dst = appendVarInt(append(dst, b0), rem)
	dst = appendStr(dst, topic)
	if qos > 0 {
		dst = appendU16(dst, pid)
	}
	if version == V5 {
		if pl == 0 {
			dst = append(dst, 0)
		} else {
			dst = appendProps(dst, props, pl)
		}
	}
	return dst, nil
}

// PublishSize returns the encoded size of the PUBLISH that AppendPublish
// would produce, or -1 if the fields are invalid.
func PublishSize(version byte, topic string, payload []byte, qos byte, dup bool, pid uint16, props *Properties) int {
	rem, _, err := publishLen(version, topic, len(payload), qos, dup, pid, props)
	if err != nil {
		return -1
	}
	return 1 + varIntLen(rem) + rem
}
