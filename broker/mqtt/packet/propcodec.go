package packet

import "strconv"

// props reads a Property Length and the properties that follow (§2.2.2).
// It returns nil when the length is zero. ctx is the packet type, or
// propWill for Will Properties.
func (d *decoder) props(ctx Type) (*Properties, error) {
	field := ctxName(ctx)
	n, err := d.varInt(field + " length")
	if err != nil {
		return nil, err
	}
	if n > d.left() {
		return nil, d.truncated(field)
	}
	if n == 0 {
		return nil, nil
	}
	sub := decoder{b: d.b[:d.pos+n], pos: d.pos, typ: d.typ, version: d.version}
	d.pos += n
	p := new(Properties)
	if err := sub.propList(p, ctx); err != nil {
		return nil, err
	}
	if err := p.check(ctx, d.typ); err != nil {
		return nil, err
	}
	return p, nil
}

func (d *decoder) propList(p *Properties, ctx Type) error {
	allowed := allowedProps[ctx]
	var seen PropMask
	// All string properties of the block share one allocation, made when
	// the first non-empty one is met.
	var block string
	blockStart := d.pos
	str := func(field string) (string, error) {
		b, err := d.rawUTF8(field)
		if err != nil || len(b) == 0 {
			return "", err
		}
		if block == "" {
			block = string(d.b[blockStart:])
		}
		off := d.pos - len(b) - blockStart
		return block[off : off+len(b)], nil
	}
	for d.left() > 0 {
		v, err := d.varInt("property identifier")
		if err != nil {
			return err
		}
		if v >= 64 || !knownMask.Has(PropID(v)) {
			return d.fail(MalformedPacket, ctxName(ctx), "unknown property identifier 0x"+strconv.FormatUint(uint64(v), 16)+" (§2.2.2.2)")
		}
		id := PropID(v)
		name := id.String()
		if !allowed.Has(id) {
			return d.fail(MalformedPacket, ctxName(ctx), name+" not valid in "+ctxLabel(ctx, d.typ)+" (§2.2.2.2)")
		}
		if seen.Has(id) && id != PropUserProperty && !(id == PropSubscriptionIdentifier && ctx == TypePublish) {
			return d.fail(ProtocolError, ctxName(ctx), name+" included more than once")
		}
		seen |= bit(id)
		if id != PropUserProperty && id != PropSubscriptionIdentifier {
			p.Present |= bit(id)
		}
		switch id {
		case PropPayloadFormatIndicator:
			p.PayloadFormatIndicator, err = d.u8(name)
		case PropRequestProblemInformation:
			p.RequestProblemInformation, err = d.u8(name)
		case PropRequestResponseInformation:
			p.RequestResponseInformation, err = d.u8(name)
		case PropMaximumQoS:
			p.MaximumQoS, err = d.u8(name)
		case PropRetainAvailable:
			p.RetainAvailable, err = d.u8(name)
		case PropWildcardSubscriptionAvailable:
			p.WildcardSubscriptionAvailable, err = d.u8(name)
		case PropSubscriptionIdentifierAvailable:
			p.SubscriptionIdentifierAvailable, err = d.u8(name)
		case PropSharedSubscriptionAvailable:
			p.SharedSubscriptionAvailable, err = d.u8(name)
		case PropMessageExpiryInterval:
			p.MessageExpiryInterval, err = d.u32(name)
		case PropSessionExpiryInterval:
			p.SessionExpiryInterval, err = d.u32(name)
		case PropWillDelayInterval:
			p.WillDelayInterval, err = d.u32(name)
		case PropMaximumPacketSize:
			p.MaximumPacketSize, err = d.u32(name)
		case PropServerKeepAlive:
			p.ServerKeepAlive, err = d.u16(name)
		case PropReceiveMaximum:
			p.ReceiveMaximum, err = d.u16(name)
		case PropTopicAliasMaximum:
			p.TopicAliasMaximum, err = d.u16(name)
		case PropTopicAlias:
			p.TopicAlias, err = d.u16(name)
		case PropContentType:
			p.ContentType, err = str(name)
		case PropResponseTopic:
			p.ResponseTopic, err = str(name)
		case PropAssignedClientIdentifier:
			p.AssignedClientIdentifier, err = str(name)
		case PropAuthenticationMethod:
			p.AuthenticationMethod, err = str(name)
		case PropResponseInformation:
			p.ResponseInformation, err = str(name)
		case PropServerReference:
			p.ServerReference, err = str(name)
		case PropReasonString:
			p.ReasonString, err = str(name)
		case PropCorrelationData:
			p.CorrelationData, err = d.bin(name)
		case PropAuthenticationData:
			p.AuthenticationData, err = d.bin(name)
		case PropSubscriptionIdentifier:
			var v int
			v, err = d.varInt(name)
			if err == nil && v == 0 {
				err = d.fail(ProtocolError, name, "must not be 0 (§3.8.2.1.2)")
			}
			p.SubscriptionIdentifiers = append(p.SubscriptionIdentifiers, uint32(v))
		case PropUserProperty:
			var u UserProperty
			if u.Key, err = str("User Property name"); err == nil {
				u.Value, err = str("User Property value")
			}
			p.UserProperties = append(p.UserProperties, u)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// propsLen returns the length of the encoded properties, without the
// Property Length field itself. p must have passed check.
func propsLen(p *Properties) int {
	if p == nil {
		return 0
	}
	n := 0
	m := p.Present
	if m != 0 {
		for _, id := range [...]PropID{PropPayloadFormatIndicator, PropRequestProblemInformation,
			PropRequestResponseInformation, PropMaximumQoS, PropRetainAvailable,
			PropWildcardSubscriptionAvailable, PropSubscriptionIdentifierAvailable,
			PropSharedSubscriptionAvailable} {
			if m.Has(id) {
				n += 2
			}
		}
		for _, id := range [...]PropID{PropMessageExpiryInterval, PropSessionExpiryInterval,
			PropWillDelayInterval, PropMaximumPacketSize} {
			if m.Has(id) {
				n += 5
			}
		}
		for _, id := range [...]PropID{PropServerKeepAlive, PropReceiveMaximum,
			PropTopicAliasMaximum, PropTopicAlias} {
			if m.Has(id) {
				n += 3
			}
		}
		for _, f := range p.sizedFields() {
			if m.Has(f.id) {
				n += 3 + f.n
			}
		}
	}
	for _, id := range p.SubscriptionIdentifiers {
		n += 1 + varIntLen(int(id))
	}
	for _, u := range p.UserProperties {
		n += 5 + len(u.Key) + len(u.Value)
	}
	return n
}

// appendProps writes the Property Length n (from propsLen) and the
// properties in identifier order.
func appendProps(dst []byte, p *Properties, n int) []byte {
	dst = appendVarInt(dst, n)
	if n == 0 {
		return dst
	}
	m := p.Present
	byteProp := func(id PropID, v byte) {
		if m.Has(id) {
			dst = append(dst, byte(id), v)
		}
	}
	u16Prop := func(id PropID, v uint16) {
		if m.Has(id) {
			dst = appendU16(append(dst, byte(id)), v)
		}
	}
	u32Prop := func(id PropID, v uint32) {
		if m.Has(id) {
			dst = appendU32(append(dst, byte(id)), v)
		}
	}
	strProp := func(id PropID, v string) {
		if m.Has(id) {
			dst = appendStr(append(dst, byte(id)), v)
		}
	}
	binProp := func(id PropID, v []byte) {
		if m.Has(id) {
			dst = appendBin(append(dst, byte(id)), v)
		}
	}
	byteProp(PropPayloadFormatIndicator, p.PayloadFormatIndicator)
	u32Prop(PropMessageExpiryInterval, p.MessageExpiryInterval)
	strProp(PropContentType, p.ContentType)
	strProp(PropResponseTopic, p.ResponseTopic)
	binProp(PropCorrelationData, p.CorrelationData)
	for _, id := range p.SubscriptionIdentifiers {
		dst = appendVarInt(append(dst, byte(PropSubscriptionIdentifier)), int(id))
	}
	u32Prop(PropSessionExpiryInterval, p.SessionExpiryInterval)
	strProp(PropAssignedClientIdentifier, p.AssignedClientIdentifier)
	u16Prop(PropServerKeepAlive, p.ServerKeepAlive)
	strProp(PropAuthenticationMethod, p.AuthenticationMethod)
	binProp(PropAuthenticationData, p.AuthenticationData)
	byteProp(PropRequestProblemInformation, p.RequestProblemInformation)
	u32Prop(PropWillDelayInterval, p.WillDelayInterval)
	byteProp(PropRequestResponseInformation, p.RequestResponseInformation)
	strProp(PropResponseInformation, p.ResponseInformation)
	strProp(PropServerReference, p.ServerReference)
	strProp(PropReasonString, p.ReasonString)
	u16Prop(PropReceiveMaximum, p.ReceiveMaximum)
	u16Prop(PropTopicAliasMaximum, p.TopicAliasMaximum)
	u16Prop(PropTopicAlias, p.TopicAlias)
	byteProp(PropMaximumQoS, p.MaximumQoS)
	byteProp(PropRetainAvailable, p.RetainAvailable)
	for _, u := range p.UserProperties {
		dst = append(dst, byte(PropUserProperty))
		dst = appendStr(dst, u.Key)
		dst = appendStr(dst, u.Value)
	}
	u32Prop(PropMaximumPacketSize, p.MaximumPacketSize)
	byteProp(PropWildcardSubscriptionAvailable, p.WildcardSubscriptionAvailable)
	byteProp(PropSubscriptionIdentifierAvailable, p.SubscriptionIdentifierAvailable)
	byteProp(PropSharedSubscriptionAvailable, p.SharedSubscriptionAvailable)
	return dst
}

// propsField validates p for ctx and returns the length of the whole
// properties field, Property Length prefix included.
func propsField(p *Properties, ctx, pt Type) (int, error) {
	if err := p.check(ctx, pt); err != nil {
		return 0, err
	}
	n := propsLen(p)
	return varIntLen(n) + n, nil
}
