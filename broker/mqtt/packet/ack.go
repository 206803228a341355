package packet

import "strconv"

// Ack is a PUBACK, PUBREC, PUBREL or PUBCOMP packet (§3.4-§3.7), as told by
// PacketType. ReasonCode and Properties exist only in MQTT 5.
type Ack struct {
	PacketType Type // TypePuback, TypePubrec, TypePubrel or TypePubcomp
	PacketID   uint16
	ReasonCode ReasonCode
	Properties *Properties // MQTT 5 only
}

// Disconnect is the DISCONNECT packet (§3.14). ReasonCode and Properties
// exist only in MQTT 5; an MQTT 3 DISCONNECT is two bytes.
type Disconnect struct {
	ReasonCode ReasonCode
	Properties *Properties
}

// Auth is the MQTT 5 AUTH packet (§3.15).
type Auth struct {
	ReasonCode ReasonCode
	Properties *Properties
}

// Type implements Packet.
func (a *Ack) Type() Type { return a.PacketType }

// Type implements Packet.
func (*Disconnect) Type() Type { return TypeDisconnect }

// Type implements Packet.
func (*Auth) Type() Type { return TypeAuth }

func isAckType(t Type) bool { return t >= TypePuback && t <= TypePubcomp }

// decodeAck decodes PUBACK, PUBREC, PUBREL and PUBCOMP, into r's lent Ack
// when r borrows (Reader.Borrow).
func decodeAck(t Type, body []byte, version byte, r *Reader) (Packet, error) {
	d := decoder{b: body, typ: t, version: version}
	var a *Ack
	if r != nil && r.Borrow {
		if r.ack == nil {
			r.ack = new(Ack)
		}
		a = r.ack
		*a = Ack{PacketType: t}
	} else {
		a = &Ack{PacketType: t}
	}
	var err error
	if a.PacketID, err = d.packetID(); err != nil {
		return nil, err
	}
	if version == V5 && d.left() > 0 {
		// The Reason Code and Property Length may be omitted when the code is
		// Success and there are no properties (§3.4.2.1); with a Remaining
		// Length below 4 there is no Property Length (§3.4.2.2.1). The same
		// holds for PUBREC, PUBREL and PUBCOMP (§3.5-§3.7).
		c, _ := d.u8("reason code")
		a.ReasonCode = ReasonCode(c)
		if !a.ReasonCode.ValidFor(t) {
			return nil, d.fail(ProtocolError, "reason code", "0x"+strconv.FormatUint(uint64(c), 16)+" is not valid in "+t.String())
		}
		if d.left() > 0 {
			if a.Properties, err = d.props(t); err != nil {
				return nil, err
			}
		}
	}
	if err := d.end(); err != nil {
		return nil, err
	}
	return a, nil
}

// reasonPropsLen sizes the optional "reason code, properties" tail shared by
// MQTT 5 acks, DISCONNECT and AUTH: omitted entirely for Success without
// properties, the code alone without properties.
func reasonPropsLen(t Type, code ReasonCode, props *Properties) (n, pl int, err error) {
	if !code.ValidFor(t) {
		return 0, 0, newErr(ProtocolError, t, "reason code "+code.String()+" is not valid in "+t.String())
	}
	if err := props.check(t, t); err != nil {
		return 0, 0, err
	}
	pl = propsLen(props)
	switch {
	case pl > 0:
		return 1 + varIntLen(pl) + pl, pl, nil
	case code != Success:
		return 1, 0, nil
	}
	return 0, 0, nil
}

func appendReasonProps(dst []byte, code ReasonCode, props *Properties, n, pl int) []byte {
	if n == 0 {
		return dst
	}
	dst = append(dst, byte(code))
	if n == 1 {
		return dst
	}
	return appendProps(dst, props, pl)
}

// AppendAck appends a PUBACK, PUBREC, PUBREL or PUBCOMP without properties
// to dst: what Append does for an *Ack, without the Ack escaping to the heap.
// A broker acknowledges every QoS 1 and 2 message this way.
func AppendAck(dst []byte, version byte, t Type, pid uint16, code ReasonCode) ([]byte, error) {
	a := Ack{PacketType: t, PacketID: pid, ReasonCode: code}
	if !validVersion(version) {
		return dst, newErr(UnsupportedProtocolVersion, t, "cannot encode for protocol level "+strconv.Itoa(int(version)))
	}
	n, err := a.remLen(version)
	if err != nil {
		return dst, err
	}
	dst = append(dst, byte(t)<<4|fixedFlags(t), byte(n)) // n <= 3: a one-byte Remaining Length
	return a.appendBody(dst, version), nil
}

func (a *Ack) remLen(version byte) (int, error) {
	if !isAckType(a.PacketType) {
		return 0, newErr(ProtocolError, a.PacketType, "Ack.PacketType must be PUBACK, PUBREC, PUBREL or PUBCOMP")
	}
	if a.PacketID == 0 {
		return 0, newErr(ProtocolError, a.PacketType, "packet identifier must be non-zero [MQTT-2.2.1-3]")
	}
	if version != V5 {
		return 2, nil
	}
	n, _, err := reasonPropsLen(a.PacketType, a.ReasonCode, a.Properties)
	return 2 + n, err
}

func (a *Ack) appendBody(dst []byte, version byte) []byte {
	dst = appendU16(dst, a.PacketID)
	if version != V5 {
		return dst
	}
	n, pl, _ := reasonPropsLen(a.PacketType, a.ReasonCode, a.Properties)
	return appendReasonProps(dst, a.ReasonCode, a.Properties, n, pl)
}

// decodeReasonProps decodes the body of DISCONNECT and AUTH: empty means
// Success (§3.14.2.1, §3.15.2.1); with fewer than two bytes there is no
// Property Length (§3.14.2.2.1).
func decodeReasonProps(t Type, body []byte) (ReasonCode, *Properties, error) {
	d := decoder{b: body, typ: t, version: V5}
	if len(body) == 0 {
		return Success, nil, nil
	}
	c, _ := d.u8("reason code")
	code := ReasonCode(c)
	if !code.ValidFor(t) {
		return 0, nil, d.fail(ProtocolError, "reason code", "0x"+strconv.FormatUint(uint64(c), 16)+" is not valid in "+t.String())
	}
	var props *Properties
	if d.left() > 0 {
		var err error
		if props, err = d.props(t); err != nil {
			return 0, nil, err
		}
	}
	return code, props, d.end()
}

func decodeDisconnect(body []byte, version byte) (Packet, error) {
	if version != V5 {
		if len(body) != 0 {
			return nil, newErr(MalformedPacket, TypeDisconnect, "Remaining Length must be 0 before MQTT 5 (3.1.1 §3.14)")
		}
		return &Disconnect{}, nil
	}
	code, props, err := decodeReasonProps(TypeDisconnect, body)
	if err != nil {
		return nil, err
	}
	return &Disconnect{ReasonCode: code, Properties: props}, nil
}

func decodeAuth(body []byte) (Packet, error) {
	code, props, err := decodeReasonProps(TypeAuth, body)
	if err != nil {
		return nil, err
	}
	return &Auth{ReasonCode: code, Properties: props}, nil
}

func (p *Disconnect) remLen(version byte) (int, error) {
	if version != V5 {
		return 0, nil
	}
	n, _, err := reasonPropsLen(TypeDisconnect, p.ReasonCode, p.Properties)
	return n, err
}

func (p *Disconnect) appendBody(dst []byte, version byte) []byte {
	if version != V5 {
		return dst
	}
	n, pl, _ := reasonPropsLen(TypeDisconnect, p.ReasonCode, p.Properties)
	return appendReasonProps(dst, p.ReasonCode, p.Properties, n, pl)
}

func (p *Auth) remLen(version byte) (int, error) {
	if version != V5 {
		return 0, newErr(ProtocolError, TypeAuth, "AUTH exists only in MQTT 5")
	}
	n, _, err := reasonPropsLen(TypeAuth, p.ReasonCode, p.Properties)
	return n, err
}

func (p *Auth) appendBody(dst []byte, _ byte) []byte {
	n, pl, _ := reasonPropsLen(TypeAuth, p.ReasonCode, p.Properties)
	return appendReasonProps(dst, p.ReasonCode, p.Properties, n, pl)
}
