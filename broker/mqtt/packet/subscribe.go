package packet

import (
	"strconv"
	"strings"
)

// Subscription is one Topic Filter of a SUBSCRIBE with its options
// (§3.8.3.1). NoLocal, RetainAsPublished and RetainHandling exist only in
// MQTT 5 and are not encoded for earlier levels.
type Subscription struct {
	Filter            string
	QoS               byte
	NoLocal           bool
	RetainAsPublished bool
	RetainHandling    byte // 0, 1 or 2
}

// Subscribe is the SUBSCRIBE packet (§3.8). Topic filter syntax is not
// checked here (an MQTT 5 server answers a bad filter with SUBACK 0x8F);
// use ValidTopicFilter and ParseShared.
type Subscribe struct {
	PacketID      uint16
	Properties    *Properties // MQTT 5 only
	Subscriptions []Subscription
}

// Suback is the SUBACK packet (§3.9). For 3.1 / 3.1.1 the return codes are
// 0x00, 0x01, 0x02 and 0x80, which are the same bytes as the MQTT 5 codes
// GrantedQoS0-2 and UnspecifiedError; any other failure code is encoded as
// 0x80 for those levels.
type Suback struct {
	PacketID    uint16
	Properties  *Properties // MQTT 5 only
	ReasonCodes []ReasonCode
}

// Unsubscribe is the UNSUBSCRIBE packet (§3.10).
type Unsubscribe struct {
	PacketID   uint16
	Properties *Properties // MQTT 5 only
	Filters    []string
}

// Unsuback is the UNSUBACK packet (§3.11). ReasonCodes and Properties exist
// only in MQTT 5; an MQTT 3 UNSUBACK carries just the packet identifier.
type Unsuback struct {
	PacketID    uint16
	Properties  *Properties // MQTT 5 only
	ReasonCodes []ReasonCode
}

// Type implements Packet.
func (*Subscribe) Type() Type { return TypeSubscribe }

// Type implements Packet.
func (*Suback) Type() Type { return TypeSuback }

// Type implements Packet.
func (*Unsubscribe) Type() Type { return TypeUnsubscribe }

// Type implements Packet.
func (*Unsuback) Type() Type { return TypeUnsuback }

// scanFilters validates the list of topic filters (each followed by an
// options byte when withOpts) that fills the rest of the packet, and
// returns their number and their bytes concatenated in one string, so that
// all filters of a packet share a single allocation. The decoder position
// is left at the start of the list for the second pass (nextFilter).
func (d *decoder) scanFilters(withOpts bool) (count int, all string, err error) {
	start := d.pos
	total := 0
	for d.left() > 0 {
		b, err := d.rawUTF8("topic filter")
		if err != nil {
			return 0, "", err
		}
		if withOpts {
			if _, err := d.u8("subscription options"); err != nil {
				return 0, "", err
			}
		}
		count++
		total += len(b)
	}
	if count == 0 {
		return 0, "", nil
	}
	var sb strings.Builder
	sb.Grow(total)
	d.pos = start
	for d.left() > 0 {
		n := int(d.b[d.pos])<<8 | int(d.b[d.pos+1])
		sb.Write(d.b[d.pos+2 : d.pos+2+n])
		d.pos += 2 + n
		if withOpts {
			d.pos++
		}
	}
	d.pos = start
	return count, sb.String(), nil
}

// nextFilter returns the next filter of a list already checked by
// scanFilters, slicing it from all at *off.
func (d *decoder) nextFilter(all string, off *int) string {
	n := int(d.b[d.pos])<<8 | int(d.b[d.pos+1])
	d.pos += 2 + n
	f := all[*off : *off+n]
	*off += n
	return f
}

func decodeSubscribe(body []byte, version byte) (Packet, error) {
	d := decoder{b: body, typ: TypeSubscribe, version: version}
	s := &Subscribe{}
	var err error
	if s.PacketID, err = d.packetID(); err != nil {
		return nil, err
	}
	if version == V5 {
		if s.Properties, err = d.props(TypeSubscribe); err != nil {
			return nil, err
		}
	}
	n, all, err := d.scanFilters(true)
	if err != nil {
		return nil, err
	}
	if n == 0 {
		return nil, d.fail(ProtocolError, "payload", "no Topic Filter [MQTT-3.8.3-2] (3.1.1: [MQTT-3.8.3-3])")
	}
	s.Subscriptions = make([]Subscription, n)
	off := 0
	for i := range s.Subscriptions {
		sub := &s.Subscriptions[i]
		sub.Filter = d.nextFilter(all, &off)
		o := d.b[d.pos]
		d.pos++
		sub.QoS = o & 3
		if err := checkSubOptions(&d, i, sub, o); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// checkSubOptions validates a Subscription Options byte and fills sub.
func checkSubOptions(d *decoder, i int, sub *Subscription, o byte) error {
	fail := func(code ReasonCode, what string) error {
		return d.fail(code, "subscription options "+strconv.Itoa(i), what)
	}
	if d.version != V5 {
		if o&^3 != 0 || sub.QoS == 3 {
			return fail(MalformedPacket, "reserved bits set or QoS 3 (3.1.1: [MQTT-3-8.3-4])")
		}
		return nil
	}
	if o&0xC0 != 0 {
		return fail(MalformedPacket, "reserved bits 7-6 are set [MQTT-3.8.3-5]")
	}
	if sub.QoS == 3 {
		return fail(ProtocolError, "Maximum QoS 3 (§3.8.3.1)")
	}
	sub.NoLocal = o&0x04 != 0
	sub.RetainAsPublished = o&0x08 != 0
	sub.RetainHandling = o >> 4 & 3
	if sub.RetainHandling == 3 {
		return fail(ProtocolError, "Retain Handling 3 (§3.8.3.1)")
	}
	if sub.NoLocal && strings.HasPrefix(sub.Filter, sharePrefix) {
		return fail(ProtocolError, "No Local on a Shared Subscription [MQTT-3.8.3-4]")
	}
	return nil
}

func decodeUnsubscribe(body []byte, version byte) (Packet, error) {
	d := decoder{b: body, typ: TypeUnsubscribe, version: version}
	u := &Unsubscribe{}
	var err error
	if u.PacketID, err = d.packetID(); err != nil {
		return nil, err
	}
	if version == V5 {
		if u.Properties, err = d.props(TypeUnsubscribe); err != nil {
			return nil, err
		}
	}
	n, all, err := d.scanFilters(false)
	if err != nil {
		return nil, err
	}
	if n == 0 {
		return nil, d.fail(ProtocolError, "payload", "no Topic Filter [MQTT-3.10.3-2] (3.1.1: [MQTT-3.10.3-2])")
	}
	u.Filters = make([]string, n)
	off := 0
	for i := range u.Filters {
		u.Filters[i] = d.nextFilter(all, &off)
	}
	return u, nil
}

// codeList reads the reason codes filling the rest of a SUBACK/UNSUBACK.
func (d *decoder) codeList(valid func(ReasonCode) bool) ([]ReasonCode, error) {
	rest := d.b[d.pos:]
	if len(rest) == 0 {
		return nil, d.fail(ProtocolError, "payload", "no reason code")
	}
	codes := make([]ReasonCode, len(rest))
	for i, c := range rest {
		if !valid(ReasonCode(c)) {
			return nil, d.fail(ProtocolError, "reason code "+strconv.Itoa(i),
				"0x"+strconv.FormatUint(uint64(c), 16)+" is not valid in "+d.typ.String())
		}
		codes[i] = ReasonCode(c)
	}
	d.pos = len(d.b)
	return codes, nil
}

func decodeSuback(body []byte, version byte) (Packet, error) {
	d := decoder{b: body, typ: TypeSuback, version: version}
	s := &Suback{}
	var err error
	if s.PacketID, err = d.packetID(); err != nil {
		return nil, err
	}
	valid := subackCodesV3.has
	if version == V5 {
		if s.Properties, err = d.props(TypeSuback); err != nil {
			return nil, err
		}
		valid = subackCodes.has
	}
	if s.ReasonCodes, err = d.codeList(valid); err != nil {
		return nil, err
	}
	return s, nil
}

func decodeUnsuback(body []byte, version byte) (Packet, error) {
	d := decoder{b: body, typ: TypeUnsuback, version: version}
	u := &Unsuback{}
	var err error
	if u.PacketID, err = d.packetID(); err != nil {
		return nil, err
	}
	if version == V5 {
		if u.Properties, err = d.props(TypeUnsuback); err != nil {
			return nil, err
		}
		if u.ReasonCodes, err = d.codeList(unsubackCodes.has); err != nil {
			return nil, err
		}
	}
	if err := d.end(); err != nil {
		return nil, err
	}
	return u, nil
}

func (s *Subscribe) remLen(version byte) (int, error) {
	if s.PacketID == 0 {
		return 0, newErr(ProtocolError, TypeSubscribe, "packet identifier must be non-zero [MQTT-2.2.1-3]")
	}
	if len(s.Subscriptions) == 0 {
		return 0, newErr(ProtocolError, TypeSubscribe, "no Topic Filter [MQTT-3.8.3-2]")
	}
	n := 2
	if version == V5 {
		pl, err := propsField(s.Properties, TypeSubscribe, TypeSubscribe)
		if err != nil {
			return 0, err
		}
		n += pl
	}
	for _, sub := range s.Subscriptions {
		if len(sub.Filter) > MaxStringLen {
			return 0, newErr(MalformedPacket, TypeSubscribe, "topic filter longer than 65535 bytes")
		}
		if sub.QoS > 2 || (version == V5 && sub.RetainHandling > 2) {
			return 0, newErr(ProtocolError, TypeSubscribe, "invalid QoS or Retain Handling in subscription options")
		}
		if version == V5 && sub.NoLocal && strings.HasPrefix(sub.Filter, sharePrefix) {
			return 0, newErr(ProtocolError, TypeSubscribe, "No Local on a Shared Subscription [MQTT-3.8.3-4]")
		}
		n += 3 + len(sub.Filter)
	}
	return n, nil
}

func (s *Subscribe) appendBody(dst []byte, version byte) []byte {
	dst = appendU16(dst, s.PacketID)
	if version == V5 {
		dst = appendProps(dst, s.Properties, propsLen(s.Properties))
	}
	for _, sub := range s.Subscriptions {
		dst = appendStr(dst, sub.Filter)
		o := sub.QoS
		if version == V5 {
			if sub.NoLocal {
				o |= 0x04
			}
			if sub.RetainAsPublished {
				o |= 0x08
			}
			o |= sub.RetainHandling << 4
		}
		dst = append(dst, o)
	}
	return dst
}

func (u *Unsubscribe) remLen(version byte) (int, error) {
	if u.PacketID == 0 {
		return 0, newErr(ProtocolError, TypeUnsubscribe, "packet identifier must be non-zero [MQTT-2.2.1-3]")
	}
	if len(u.Filters) == 0 {
		return 0, newErr(ProtocolError, TypeUnsubscribe, "no Topic Filter [MQTT-3.10.3-2]")
	}
	n := 2
	if version == V5 {
		pl, err := propsField(u.Properties, TypeUnsubscribe, TypeUnsubscribe)
		if err != nil {
			return 0, err
		}
		n += pl
	}
	for _, f := range u.Filters {
		if len(f) > MaxStringLen {
			return 0, newErr(MalformedPacket, TypeUnsubscribe, "topic filter longer than 65535 bytes")
		}
		n += 2 + len(f)
	}
	return n, nil
}

func (u *Unsubscribe) appendBody(dst []byte, version byte) []byte {
	dst = appendU16(dst, u.PacketID)
	if version == V5 {
		dst = appendProps(dst, u.Properties, propsLen(u.Properties))
	}
	for _, f := range u.Filters {
		dst = appendStr(dst, f)
	}
	return dst
}

// ackListLen sizes SUBACK and UNSUBACK.
func ackListLen(t Type, version byte, pid uint16, props *Properties, codes []ReasonCode) (int, error) {
	if pid == 0 {
		return 0, newErr(ProtocolError, t, "packet identifier must be non-zero [MQTT-2.2.1-3]")
	}
	if version != V5 {
		if t == TypeUnsuback {
			return 2, nil
		}
		if len(codes) == 0 {
			return 0, newErr(ProtocolError, t, "no return code")
		}
		return 2 + len(codes), nil
	}
	if len(codes) == 0 {
		return 0, newErr(ProtocolError, t, "no reason code")
	}
	for _, c := range codes {
		if !c.ValidFor(t) {
			return 0, newErr(ProtocolError, t, "reason code "+c.String()+" is not valid in "+t.String())
		}
	}
	pl, err := propsField(props, t, t)
	return 2 + pl + len(codes), err
}

func (s *Suback) remLen(version byte) (int, error) {
	return ackListLen(TypeSuback, version, s.PacketID, s.Properties, s.ReasonCodes)
}

func (s *Suback) appendBody(dst []byte, version byte) []byte {
	dst = appendU16(dst, s.PacketID)
	if version != V5 {
		for _, c := range s.ReasonCodes {
			if c > GrantedQoS2 {
				c = UnspecifiedError // the only 3.1.1 failure code (0x80)
			}
			dst = append(dst, byte(c))
		}
		return dst
	}
	dst = appendProps(dst, s.Properties, propsLen(s.Properties))
	for _, c := range s.ReasonCodes {
		dst = append(dst, byte(c))
	}
	return dst
}

func (u *Unsuback) remLen(version byte) (int, error) {
	return ackListLen(TypeUnsuback, version, u.PacketID, u.Properties, u.ReasonCodes)
}

func (u *Unsuback) appendBody(dst []byte, version byte) []byte {
	dst = appendU16(dst, u.PacketID)
	if version != V5 {
		return dst
	}
	dst = appendProps(dst, u.Properties, propsLen(u.Properties))
	for _, c := range u.ReasonCodes {
		dst = append(dst, byte(c))
	}
	return dst
}
