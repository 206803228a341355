package packet

import (
	"bytes"
	"io"
	"math/rand/v2"
	"reflect"
	"testing"
)

// randString returns a short valid UTF-8 string, sometimes with multi-byte
// characters and sometimes empty.
func randString(r *rand.Rand, allowEmpty bool) string {
	alphabet := []string{"a", "b", "/", "x", "é", "日", "🙂", "$", "+", "#", "Z", "0"}
	n := r.IntN(8)
	if !allowEmpty && n == 0 {
		n = 1
	}
	var b []byte
	for i := 0; i < n; i++ {
		b = append(b, alphabet[r.IntN(len(alphabet))]...)
	}
	return string(b)
}

func randBytes(r *rand.Rand) []byte {
	n := r.IntN(20)
	if n == 0 {
		return nil
	}
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// randProps returns random valid properties for a context, or nil.
func randProps(r *rand.Rand, ctx Type) *Properties {
	if r.IntN(3) == 0 {
		return nil
	}
	p := &Properties{}
	allowed := allowedProps[ctx]
	for _, id := range knownIDs {
		if !allowed.Has(id) || r.IntN(2) == 0 {
			continue
		}
		switch id {
		case PropUserProperty:
			for n := 1 + r.IntN(3); n > 0; n-- {
				p.UserProperties = append(p.UserProperties, UserProperty{randString(r, true), randString(r, true)})
			}
			continue
		case PropSubscriptionIdentifier:
			n := 1
			if ctx == TypePublish {
				n += r.IntN(3)
			}
			for ; n > 0; n-- {
				p.SubscriptionIdentifiers = append(p.SubscriptionIdentifiers, 1+r.Uint32N(MaxVarInt))
			}
			continue
		case PropAuthenticationData:
			p.Set(PropAuthenticationMethod)
			p.AuthenticationMethod = randString(r, true)
			p.AuthenticationData = randBytes(r)
		case PropPayloadFormatIndicator:
			p.PayloadFormatIndicator = byte(r.IntN(2))
		case PropRequestProblemInformation:
			p.RequestProblemInformation = byte(r.IntN(2))
		case PropRequestResponseInformation:
			p.RequestResponseInformation = byte(r.IntN(2))
		case PropMaximumQoS:
			p.MaximumQoS = byte(r.IntN(2))
		case PropRetainAvailable:
			p.RetainAvailable = byte(r.IntN(2))
		case PropWildcardSubscriptionAvailable:
			p.WildcardSubscriptionAvailable = byte(r.IntN(2))
		case PropSubscriptionIdentifierAvailable:
			p.SubscriptionIdentifierAvailable = byte(r.IntN(2))
		case PropSharedSubscriptionAvailable:
			p.SharedSubscriptionAvailable = byte(r.IntN(2))
		case PropMessageExpiryInterval:
			p.MessageExpiryInterval = r.Uint32()
		case PropSessionExpiryInterval:
			p.SessionExpiryInterval = r.Uint32()
		case PropWillDelayInterval:
			p.WillDelayInterval = r.Uint32()
		case PropMaximumPacketSize:
			p.MaximumPacketSize = 1 + r.Uint32N(1<<31)
		case PropServerKeepAlive:
			p.ServerKeepAlive = uint16(r.Uint32())
		case PropReceiveMaximum:
			p.ReceiveMaximum = 1 + uint16(r.IntN(65535))
		case PropTopicAliasMaximum:
			p.TopicAliasMaximum = uint16(r.Uint32())
		case PropTopicAlias:
			p.TopicAlias = 1 + uint16(r.IntN(65535))
		case PropContentType:
			p.ContentType = randString(r, true)
		case PropResponseTopic:
			p.ResponseTopic = randString(r, true)
		case PropAssignedClientIdentifier:
			p.AssignedClientIdentifier = randString(r, true)
		case PropAuthenticationMethod:
			p.AuthenticationMethod = randString(r, true)
		case PropResponseInformation:
			p.ResponseInformation = randString(r, true)
		case PropServerReference:
			p.ServerReference = randString(r, true)
		case PropReasonString:
			p.ReasonString = randString(r, true)
		case PropCorrelationData:
			p.CorrelationData = randBytes(r)
		}
		p.Set(id)
	}
	if p.IsEmpty() {
		return nil // decodes as nil
	}
	return p
}

func pickCode(r *rand.Rand, t Type) ReasonCode {
	for {
		c := ReasonCode(r.IntN(256))
		if c.ValidFor(t) {
			return c
		}
	}
}

func randPacket(r *rand.Rand, v byte) Packet {
	v5 := v == V5
	pp := func(ctx Type) *Properties {
		if !v5 {
			return nil
		}
		return randProps(r, ctx)
	}
	pid := func() uint16 { return 1 + uint16(r.IntN(65535)) }
	switch t := Type(1 + r.IntN(15)); t {
	case TypeConnect:
		c := &Connect{ProtocolName: protocolName(v), ProtocolVersion: v, CleanStart: r.IntN(2) == 0,
			KeepAlive: uint16(r.Uint32()), ClientID: randString(r, true), Properties: pp(TypeConnect)}
		if r.IntN(2) == 0 {
			c.WillFlag, c.WillQoS, c.WillRetain = true, byte(r.IntN(3)), r.IntN(2) == 0
			c.WillTopic, c.WillPayload, c.WillProperties = randString(r, true), randBytes(r), pp(propWill)
		}
		if c.UsernameFlag = r.IntN(2) == 0; c.UsernameFlag {
			c.Username = randString(r, true)
		}
		if c.PasswordFlag = r.IntN(2) == 0 && (c.UsernameFlag || v != V311); c.PasswordFlag {
			c.Password = randBytes(r)
		}
		return c
	case TypeConnack:
		c := &Connack{}
		if v5 {
			c.ReasonCode, c.Properties = pickCode(r, t), pp(t)
		} else {
			c.ReasonCode = ConnackCode(r.IntN(6)).ReasonCode()
		}
		c.SessionPresent = c.ReasonCode == Success && r.IntN(2) == 0
		return c
	case TypePublish:
		p := &Publish{QoS: byte(r.IntN(3)), Retain: r.IntN(2) == 0, Topic: randString(r, false),
			Payload: randBytes(r), Properties: pp(t)}
		if p.QoS > 0 {
			p.PacketID, p.Dup = pid(), r.IntN(2) == 0
		}
		return p
	case TypePuback, TypePubrec, TypePubrel, TypePubcomp:
		a := &Ack{PacketType: t, PacketID: pid()}
		if v5 {
			a.ReasonCode, a.Properties = pickCode(r, t), pp(t)
		}
		return a
	case TypeSubscribe:
		s := &Subscribe{PacketID: pid(), Properties: pp(t)}
		for n := 1 + r.IntN(4); n > 0; n-- {
			sub := Subscription{Filter: randString(r, true), QoS: byte(r.IntN(3))}
			if v5 {
				sub.NoLocal, sub.RetainAsPublished, sub.RetainHandling = r.IntN(2) == 0, r.IntN(2) == 0, byte(r.IntN(3))
				if sub.NoLocal && len(sub.Filter) >= 7 && sub.Filter[:7] == sharePrefix {
					sub.NoLocal = false
				}
			}
			s.Subscriptions = append(s.Subscriptions, sub)
		}
		return s
	case TypeSuback, TypeUnsuback:
		var codes []ReasonCode
		for n := 1 + r.IntN(4); n > 0; n-- {
			if v5 {
				codes = append(codes, pickCode(r, t))
			} else {
				codes = append(codes, []ReasonCode{0, 1, 2, 0x80}[r.IntN(4)])
			}
		}
		if t == TypeSuback {
			return &Suback{PacketID: pid(), Properties: pp(t), ReasonCodes: codes}
		}
		if !v5 {
			codes = nil
		}
		return &Unsuback{PacketID: pid(), Properties: pp(t), ReasonCodes: codes}
	case TypeUnsubscribe:
		u := &Unsubscribe{PacketID: pid(), Properties: pp(t)}
		for n := 1 + r.IntN(4); n > 0; n-- {
			u.Filters = append(u.Filters, randString(r, true))
		}
		return u
	case TypePingreq:
		return &Pingreq{}
	case TypePingresp:
		return &Pingresp{}
	case TypeDisconnect:
		if !v5 {
			return &Disconnect{}
		}
		return &Disconnect{ReasonCode: pickCode(r, t), Properties: pp(t)}
	default: // AUTH
		if !v5 {
			return &Pingreq{}
		}
		return &Auth{ReasonCode: pickCode(r, t), Properties: pp(t)}
	}
}

// TestRoundTripRandom encodes random valid packets of every type for each
// protocol level, decodes them as a stream through a Reader and compares.
func TestRoundTripRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, v := range []byte{V31, V311, V5} {
		var stream []byte
		var want []Packet
		for i := 0; i < 3000; i++ {
			p := randPacket(r, v)
			if _, ok := p.(*Connect); ok && i > 0 {
				continue // the Reader switches version on CONNECT; keep it first
			}
			var err error
			stream, err = Append(stream, p, v)
			if err != nil {
				t.Fatalf("v%d: encode %#v: %v", v, p, err)
			}
			want = append(want, p)
		}
		for _, bufSize := range []int{16, 4096} {
			rd := NewReader(bytes.NewReader(stream), bufSize)
			rd.Version = v
			// Read everything first: packets must not alias the Reader's
			// reused buffer.
			got := make([]Packet, len(want))
			for i, w := range want {
				var err error
				if got[i], err = rd.Read(); err != nil {
					t.Fatalf("v%d buf %d packet %d (%T): %v", v, bufSize, i, w, err)
				}
			}
			for i, w := range want {
				if !reflect.DeepEqual(got[i], w) {
					t.Fatalf("v%d packet %d:\n got %#v\nwant %#v", v, i, got[i], w)
				}
			}
			if _, err := rd.Read(); err != io.EOF {
				t.Fatalf("v%d: after the last packet: %v", v, err)
			}
		}
	}
}

// TestRoundTripRepresentative covers hand-picked packets with every MQTT 5
// property.
func TestRoundTripRepresentative(t *testing.T) {
	all := func(ctx Type) *Properties {
		r := rand.New(rand.NewPCG(7, uint64(ctx)))
		for {
			p := randProps(r, ctx)
			if p != nil && p.Effective() == allowedProps[ctx] {
				return p
			}
		}
	}
	pkts := []Packet{
		&Connect{ProtocolName: "MQTT", ProtocolVersion: 5, KeepAlive: 30, ClientID: "c",
			WillFlag: true, WillQoS: 2, WillRetain: true, WillTopic: "will", WillPayload: []byte{0},
			WillProperties: all(propWill), Properties: all(TypeConnect),
			UsernameFlag: true, Username: "user", PasswordFlag: true, Password: []byte("secret")},
		&Connack{Properties: all(TypeConnack)},
		&Publish{QoS: 1, PacketID: 65535, Topic: "a/b/c", Payload: bytes.Repeat([]byte("z"), 70000), Properties: all(TypePublish)},
		&Ack{PacketType: TypePubrec, PacketID: 3, ReasonCode: QuotaExceeded, Properties: all(TypePubrec)},
		&Subscribe{PacketID: 4, Properties: all(TypeSubscribe), Subscriptions: []Subscription{{Filter: "$share/g/a/+", QoS: 2, RetainHandling: 1}}},
		&Suback{PacketID: 4, Properties: all(TypeSuback), ReasonCodes: []ReasonCode{GrantedQoS2}},
		&Unsubscribe{PacketID: 5, Properties: all(TypeUnsubscribe), Filters: []string{"a/#"}},
		&Unsuback{PacketID: 5, Properties: all(TypeUnsuback), ReasonCodes: []ReasonCode{NoSubscriptionExisted}},
		&Disconnect{ReasonCode: ServerMoved, Properties: all(TypeDisconnect)},
		&Auth{ReasonCode: ReAuthenticate, Properties: all(TypeAuth)},
	}
	for _, p := range pkts {
		b, err := Append(nil, p, V5)
		if err != nil {
			t.Fatalf("%T: %v", p, err)
		}
		if Size(p, V5) != len(b) {
			t.Fatalf("%T: Size %d, encoded %d", p, Size(p, V5), len(b))
		}
		got, n, err := Decode(b, V5)
		if err != nil || n != len(b) {
			t.Fatalf("%T: %v", p, err)
		}
		if !reflect.DeepEqual(got, p) {
			t.Fatalf("%T:\n got %#v\nwant %#v", p, got, p)
		}
	}
}
