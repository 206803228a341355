package packet

import "strconv"

// Type is the MQTT control packet type, the high nibble of the first byte
// of the fixed header.
type Type byte

// Control packet types.
const (
	TypeConnect     Type = 1
	TypeConnack     Type = 2
	TypePublish     Type = 3
	TypePuback      Type = 4
	TypePubrec      Type = 5
	TypePubrel      Type = 6
	TypePubcomp     Type = 7
	TypeSubscribe   Type = 8
	TypeSuback      Type = 9
	TypeUnsubscribe Type = 10
	TypeUnsuback    Type = 11
	TypePingreq     Type = 12
	TypePingresp    Type = 13
	TypeDisconnect  Type = 14
	TypeAuth        Type = 15 // MQTT 5.0 only
)

var typeNames = [16]string{
	"RESERVED", "CONNECT", "CONNACK", "PUBLISH", "PUBACK", "PUBREC", "PUBREL",
	"PUBCOMP", "SUBSCRIBE", "SUBACK", "UNSUBSCRIBE", "UNSUBACK", "PINGREQ",
	"PINGRESP", "DISCONNECT", "AUTH",
}

// String returns the spec name of the packet type, e.g. "PUBLISH".
func (t Type) String() string {
	if t < 16 {
		return typeNames[t]
	}
	return "Type(" + strconv.Itoa(int(t)) + ")"
}

// Protocol levels (the "Protocol Version" byte of CONNECT).
const (
	V31  byte = 3 // MQTT 3.1, protocol name "MQIsdp"
	V311 byte = 4 // MQTT 3.1.1, protocol name "MQTT"
	V5   byte = 5 // MQTT 5.0, protocol name "MQTT"
)

// Limits from the standards.
const (
	// MaxRemainingLength is the largest value a four byte Variable Byte
	// Integer can hold, and so the largest Remaining Length.
	MaxRemainingLength = 268435455
	// MaxVarInt is the largest Variable Byte Integer (same value).
	MaxVarInt = MaxRemainingLength
	// MaxStringLen is the largest UTF-8 string or binary data field.
	MaxStringLen = 65535
)

// Packet is implemented by the pointer types of every control packet:
// *Connect, *Connack, *Publish, *Ack, *Subscribe, *Suback, *Unsubscribe,
// *Unsuback, *Pingreq, *Pingresp, *Disconnect and *Auth.
type Packet interface {
	Type() Type
}

// Pingreq is the PINGREQ packet; it has no variable header or payload.
type Pingreq struct{}

// Pingresp is the PINGRESP packet; it has no variable header or payload.
type Pingresp struct{}

// Type implements Packet.
func (*Pingreq) Type() Type { return TypePingreq }

// Type implements Packet.
func (*Pingresp) Type() Type { return TypePingresp }

func validVersion(v byte) bool { return v == V31 || v == V311 || v == V5 }
