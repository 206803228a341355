package packet

import "strconv"

// checkHeader validates the first byte of the fixed header for the
// protocol level: reserved type, reserved flag bits, PUBLISH QoS, AUTH
// outside MQTT 5, and "CONNECT first".
func checkHeader(b0, version byte) error {
	t := Type(b0 >> 4)
	f := b0 & 0x0F
	if version == 0 {
		if t != TypeConnect {
			return newErr(ProtocolError, t, "the first packet must be CONNECT [MQTT-3.1.0-1]")
		}
	} else if !validVersion(version) {
		return newErr(UnsupportedProtocolVersion, t, "decoder protocol level "+strconv.Itoa(int(version))+" is not 3, 4 or 5")
	}
	var want byte
	switch t {
	case 0:
		return newErr(MalformedPacket, 0, "reserved packet type 0 (§2.1.2)")
	case TypePublish:
		qos := f >> 1 & 3
		if qos == 3 {
			return newErr(MalformedPacket, t, "QoS bits set to 3 [MQTT-3.3.1-4]")
		}
		if qos == 0 && f&8 != 0 {
			return newErr(MalformedPacket, t, "DUP flag set on a QoS 0 message [MQTT-3.3.1-2]")
		}
		return nil
	case TypePubrel, TypeSubscribe, TypeUnsubscribe:
		// [MQTT-3.6.1-1], [MQTT-3.8.1-1], [MQTT-3.10.1-1]: flags 0010.
		// MQTT 3.1 sent these with QoS 1 and allowed DUP on retries.
		want = 2
		if version == V31 {
			f &^= 8
		}
	case TypeAuth:
		if version != V5 {
			return newErr(MalformedPacket, t, "packet type 15 is reserved before MQTT 5 (3.1.1 §2.2.1)")
		}
	}
	if f != want {
		return newErr(MalformedPacket, t, "reserved fixed header flags are 0x"+strconv.FormatUint(uint64(f), 16)+
			", must be 0x"+strconv.FormatUint(uint64(want), 16)+" [MQTT-2.1.3-1] (3.1.1: [MQTT-2.2.2-1, MQTT-2.2.2-2])")
	}
	return nil
}

// decodeBody decodes a packet whose fixed header passed checkHeader. On
// error the packet is nil, except for a CONNECT with an unsupported
// protocol, which is returned along with the error. owned says body is a
// fresh allocation that may be retained (a PUBLISH payload then aliases
// it); r, when non-nil, provides the topic cache.
func decodeBody(b0 byte, body []byte, version byte, owned bool, r *Reader) (Packet, error) {
	t := Type(b0 >> 4)
	switch t {
	case TypeConnect:
		return decodeConnect(body)
	case TypeConnack:
		return decodeConnack(body, version)
	case TypePublish:
		return decodePublish(b0, body, version, owned, r)
	case TypePuback, TypePubrec, TypePubrel, TypePubcomp:
		return decodeAck(t, body, version, r)
	case TypeSubscribe:
		return decodeSubscribe(body, version)
	case TypeSuback:
		return decodeSuback(body, version)
	case TypeUnsubscribe:
		return decodeUnsubscribe(body, version)
	case TypeUnsuback:
		return decodeUnsuback(body, version)
	case TypePingreq, TypePingresp:
		if len(body) != 0 {
			return nil, newErr(MalformedPacket, t, "Remaining Length must be 0 (§3.12, §3.13)")
		}
		if t == TypePingreq {
			return &Pingreq{}, nil
		}
		return &Pingresp{}, nil
	case TypeDisconnect:
		return decodeDisconnect(body, version)
	case TypeAuth:
		return decodeAuth(body)
	}
	return nil, newErr(MalformedPacket, t, "reserved packet type")
}
