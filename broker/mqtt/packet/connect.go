package packet

import "strconv"

// Connect is the CONNECT packet (§3.1).
type Connect struct {
	// ProtocolName is "MQTT" (levels 4 and 5) or "MQIsdp" (level 3).
	// When encoding, an empty name is filled in from the level.
	ProtocolName string
	// ProtocolVersion is the protocol level. When encoding, 0 means the
	// version passed to Append.
	ProtocolVersion byte
	CleanStart      bool // "Clean Session" before MQTT 5
	KeepAlive       uint16
	ClientID        string

	UsernameFlag bool
	Username     string
	PasswordFlag bool
	Password     []byte

	WillFlag       bool
	WillQoS        byte
	WillRetain     bool
	WillTopic      string
	WillPayload    []byte
	WillProperties *Properties // MQTT 5 only

	Properties *Properties // MQTT 5 only
}

// Connack is the CONNACK packet (§3.2). ReasonCode is always an MQTT 5
// reason code: for 3.1 / 3.1.1 it is mapped to and from the return code
// with ConnackCode.ReasonCode and ConnackCodeFor.
type Connack struct {
	SessionPresent bool
	ReasonCode     ReasonCode
	Properties     *Properties // MQTT 5 only
}

// Type implements Packet.
func (*Connect) Type() Type { return TypeConnect }

// Type implements Packet.
func (*Connack) Type() Type { return TypeConnack }

func protocolName(level byte) string {
	if level == V31 {
		return "MQIsdp"
	}
	return "MQTT"
}

func decodeConnect(body []byte) (Packet, error) {
	d := decoder{b: body, typ: TypeConnect}
	name, err := d.str("protocol name")
	if err != nil {
		return nil, err
	}
	level, err := d.u8("protocol level")
	if err != nil {
		return nil, err
	}
	c := &Connect{ProtocolName: name, ProtocolVersion: level}
	if !validVersion(level) || name != protocolName(level) {
		// [MQTT-3.1.2-1], [MQTT-3.1.2-2] (3.1.1: [MQTT-3.1.2-1, MQTT-3.1.2-2]):
		// the server may answer with CONNACK 0x84 / 0x01 and must close.
		// What follows cannot be parsed without knowing the protocol.
		return c, d.fail(UnsupportedProtocolVersion, "protocol", "name "+strconv.Quote(name)+
			" with level "+strconv.Itoa(int(level))+" is not supported [MQTT-3.1.2-1, MQTT-3.1.2-2]")
	}
	d.version = level
	flags, err := d.u8("connect flags")
	if err != nil {
		return nil, err
	}
	if flags&0x01 != 0 {
		return nil, d.fail(MalformedPacket, "connect flags", "reserved bit 0 is set [MQTT-3.1.2-3]")
	}
	c.CleanStart = flags&0x02 != 0
	c.WillFlag = flags&0x04 != 0
	c.WillQoS = flags >> 3 & 3
	c.WillRetain = flags&0x20 != 0
	c.PasswordFlag = flags&0x40 != 0
	c.UsernameFlag = flags&0x80 != 0
	if !c.WillFlag && (c.WillQoS != 0 || c.WillRetain) {
		return nil, d.fail(MalformedPacket, "connect flags",
			"Will QoS or Will Retain set without Will Flag [MQTT-3.1.2-11, MQTT-3.1.2-13] (3.1.1: [MQTT-3.1.2-13, MQTT-3.1.2-15])")
	}
	if c.WillQoS == 3 {
		return nil, d.fail(MalformedPacket, "connect flags", "Will QoS 3 [MQTT-3.1.2-12] (3.1.1: [MQTT-3.1.2-14])")
	}
	if level == V311 && c.PasswordFlag && !c.UsernameFlag {
		return nil, d.fail(MalformedPacket, "connect flags", "Password Flag without User Name Flag (3.1.1: [MQTT-3.1.2-22])")
	}
	if c.KeepAlive, err = d.u16("keep alive"); err != nil {
		return nil, err
	}
	if level == V5 {
		if c.Properties, err = d.props(TypeConnect); err != nil {
			return nil, err
		}
	}
	// Payload order: Client Identifier, Will Properties, Will Topic, Will
	// Payload, User Name, Password [MQTT-3.1.3-1].
	if c.ClientID, err = d.str("client identifier"); err != nil {
		return nil, err
	}
	if c.WillFlag {
		if level == V5 {
			if c.WillProperties, err = d.props(propWill); err != nil {
				return nil, err
			}
		}
		if c.WillTopic, err = d.str("will topic"); err != nil {
			return nil, err
		}
		if c.WillPayload, err = d.bin("will payload"); err != nil {
			return nil, err
		}
	}
	if c.UsernameFlag {
		if c.Username, err = d.str("user name"); err != nil {
			return nil, err
		}
	}
	if c.PasswordFlag {
		if c.Password, err = d.bin("password"); err != nil {
			return nil, err
		}
	}
	if err := d.end(); err != nil {
		return nil, err
	}
	return c, nil
}

func (c *Connect) level(version byte) byte {
	if c.ProtocolVersion != 0 {
		return c.ProtocolVersion
	}
	return version
}

func (c *Connect) remLen(version byte) (int, error) {
	lv := c.level(version)
	if !validVersion(lv) {
		return 0, newErr(UnsupportedProtocolVersion, TypeConnect, "protocol level "+strconv.Itoa(int(lv)))
	}
	name := c.ProtocolName
	if name == "" {
		name = protocolName(lv)
	}
	if c.WillQoS > 2 || (!c.WillFlag && (c.WillQoS != 0 || c.WillRetain)) {
		return 0, newErr(MalformedPacket, TypeConnect, "invalid Will QoS / Will Retain for the Will Flag")
	}
	if lv == V311 && c.PasswordFlag && !c.UsernameFlag {
		return 0, newErr(MalformedPacket, TypeConnect, "Password Flag without User Name Flag (3.1.1: [MQTT-3.1.2-22])")
	}
	for _, s := range [...]string{name, c.ClientID, c.WillTopic, c.Username} {
		if len(s) > MaxStringLen {
			return 0, newErr(MalformedPacket, TypeConnect, "string field longer than 65535 bytes")
		}
	}
	if len(c.WillPayload) > MaxStringLen || len(c.Password) > MaxStringLen {
		return 0, newErr(MalformedPacket, TypeConnect, "binary field longer than 65535 bytes")
	}
	n := 2 + len(name) + 1 + 1 + 2 + 2 + len(c.ClientID)
	if lv == V5 {
		pl, err := propsField(c.Properties, TypeConnect, TypeConnect)
		if err != nil {
			return 0, err
		}
		n += pl
	}
	if c.WillFlag {
		if lv == V5 {
			pl, err := propsField(c.WillProperties, propWill, TypeConnect)
			if err != nil {
				return 0, err
			}
			n += pl
		}
		n += 4 + len(c.WillTopic) + len(c.WillPayload)
	}
	if c.UsernameFlag {
		n += 2 + len(c.Username)
	}
	if c.PasswordFlag {
		n += 2 + len(c.Password)
	}
	return n, nil
}

func (c *Connect) appendBody(dst []byte, version byte) []byte {
	lv := c.level(version)
	name := c.ProtocolName
	if name == "" {
		name = protocolName(lv)
	}
	dst = appendStr(dst, name)
	var flags byte
	if c.CleanStart {
		flags |= 0x02
	}
	if c.WillFlag {
		flags |= 0x04 | c.WillQoS<<3
		if c.WillRetain {
			flags |= 0x20
		}
	}
	if c.PasswordFlag {
		flags |= 0x40
	}
	if c.UsernameFlag {
		flags |= 0x80
	}
	dst = append(dst, lv, flags)
	dst = appendU16(dst, c.KeepAlive)
	if lv == V5 {
		dst = appendProps(dst, c.Properties, propsLen(c.Properties))
	}
	dst = appendStr(dst, c.ClientID)
	if c.WillFlag {
		if lv == V5 {
			dst = appendProps(dst, c.WillProperties, propsLen(c.WillProperties))
		}
		dst = appendStr(dst, c.WillTopic)
		dst = appendBin(dst, c.WillPayload)
	}
	if c.UsernameFlag {
		dst = appendStr(dst, c.Username)
	}
	if c.PasswordFlag {
		dst = appendBin(dst, c.Password)
	}
	return dst
}

func decodeConnack(body []byte, version byte) (Packet, error) {
	d := decoder{b: body, typ: TypeConnack, version: version}
	flags, err := d.u8("acknowledge flags")
	if err != nil {
		return nil, err
	}
	if flags&^1 != 0 {
		return nil, d.fail(MalformedPacket, "acknowledge flags", "reserved bits 7-1 are set [MQTT-3.2.2-1]")
	}
	code, err := d.u8("reason code")
	if err != nil {
		return nil, err
	}
	c := &Connack{SessionPresent: flags&1 != 0}
	if version == V5 {
		c.ReasonCode = ReasonCode(code)
		if !c.ReasonCode.ValidFor(TypeConnack) {
			return nil, d.fail(ProtocolError, "reason code", "0x"+strconv.FormatUint(uint64(code), 16)+" is not a CONNACK reason code (§3.2.2.2)")
		}
		if c.Properties, err = d.props(TypeConnack); err != nil {
			return nil, err
		}
	} else {
		if ConnackCode(code) > maxConnackCode {
			return nil, d.fail(MalformedPacket, "return code", strconv.Itoa(int(code))+" is reserved (3.1.1 §3.2.2.3)")
		}
		c.ReasonCode = ConnackCode(code).ReasonCode()
	}
	if c.SessionPresent && c.ReasonCode != Success {
		return nil, d.fail(ProtocolError, "acknowledge flags", "Session Present with a non-zero reason code [MQTT-3.2.2-6] (3.1.1: [MQTT-3.2.2-4])")
	}
	if err := d.end(); err != nil {
		return nil, err
	}
	return c, nil
}

func (c *Connack) remLen(version byte) (int, error) {
	if c.SessionPresent && c.ReasonCode != Success {
		return 0, newErr(ProtocolError, TypeConnack, "Session Present with a non-zero reason code [MQTT-3.2.2-6]")
	}
	if version != V5 {
		return 2, nil
	}
	if !c.ReasonCode.ValidFor(TypeConnack) {
		return 0, newErr(ProtocolError, TypeConnack, "reason code "+c.ReasonCode.String()+" is not valid in CONNACK")
	}
	pl, err := propsField(c.Properties, TypeConnack, TypeConnack)
	return 2 + pl, err
}

func (c *Connack) appendBody(dst []byte, version byte) []byte {
	var flags byte
	if c.SessionPresent {
		flags = 1
	}
	if version != V5 {
		return append(dst, flags, byte(ConnackCodeFor(c.ReasonCode)))
	}
	dst = append(dst, flags, byte(c.ReasonCode))
	return appendProps(dst, c.Properties, propsLen(c.Properties))
}
