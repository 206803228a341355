package packet

import (
	"bytes"
	"errors"
	"io"
	"reflect"
	"testing"
)

var publishCases = []decodeCase{
	{
		name: "v311 PUBLISH QoS 0", version: V311,
		in:   "30 0a 00 03 61 2f 62 68 65 6c 6c 6f",
		want: &Publish{Topic: "a/b", Payload: []byte("hello")},
	},
	{
		name: "v311 PUBLISH QoS 1 retain", version: V311,
		in:   "33 0c 00 03 61 2f 62 00 0a 68 65 6c 6c 6f",
		want: &Publish{QoS: 1, Retain: true, Topic: "a/b", PacketID: 10, Payload: []byte("hello")},
	},
	{
		name: "v311 PUBLISH QoS 2 DUP empty payload", version: V311,
		in:   "3c 07 00 03 61 2f 62 00 01",
		want: &Publish{Dup: true, QoS: 2, Topic: "a/b", PacketID: 1},
	},
	{
		name: "v311 PUBLISH wildcard topic is left to the broker", version: V311,
		in:   "30 05 00 03 61 2f 23",
		want: &Publish{Topic: "a/#"},
	},
	{
		name: "v31 PUBLISH", version: V31,
		in:   "30 04 00 01 74 78",
		want: &Publish{Topic: "t", Payload: []byte("x")},
	},
	{name: "MQTT-3.3.1-4 QoS 3", version: V311, in: "36 07 00 03 61 2f 62 00 01", err: MalformedPacket},
	{name: "MQTT-3.3.1-2 DUP on QoS 0", version: V311, in: "38 05 00 03 61 2f 62", err: MalformedPacket},
	{name: "MQTT-2.3.1-1 QoS 1 packet id 0", version: V311, in: "32 07 00 03 61 2f 62 00 00", err: ProtocolError},
	{name: "QoS 1 packet id truncated", version: V311, in: "32 06 00 03 61 2f 62 00", err: MalformedPacket},
	{name: "MQTT-1.5.3-1 topic ill-formed UTF-8", version: V311, in: "30 04 00 02 c3 28", err: MalformedPacket},
	{name: "MQTT-1.5.3-2 topic with U+0000", version: V311, in: "30 03 00 01 00", err: MalformedPacket},
	{name: "topic length beyond packet", version: V311, in: "30 03 00 05 61", err: MalformedPacket},
	{name: "PUBLISH body shorter than topic length field", version: V311, in: "30 01 00", err: MalformedPacket},
	{name: "MQTT-4.7.3-1 v311 empty topic", version: V311, in: "30 02 00 00", err: ProtocolError},
	{
		name: "v5 PUBLISH QoS 0 no properties", version: V5,
		in:   "30 0b 00 03 61 2f 62 00 68 65 6c 6c 6f",
		want: &Publish{Topic: "a/b", Payload: []byte("hello")},
	},
	{
		name: "v5 PUBLISH QoS 1 all PUBLISH properties", version: V5,
		in: "32 2d 00 01 74 00 01 26" +
			"01 01 02 00 00 00 3c 03 00 04 74 65 78 74 08 00 01 72 09 00 02 ab cd" +
			"0b 05 0b 81 01 23 00 02 26 00 01 6b 00 01 76" +
			"78",
		want: &Publish{QoS: 1, Topic: "t", PacketID: 1, Payload: []byte("x"),
			Properties: props(func(p *Properties) {
				p.PayloadFormatIndicator = 1
				p.MessageExpiryInterval = 60
				p.ContentType = "text"
				p.ResponseTopic = "r"
				p.CorrelationData = []byte{0xab, 0xcd}
				p.SubscriptionIdentifiers = []uint32{5, 129}
				p.TopicAlias = 2
				p.UserProperties = []UserProperty{{"k", "v"}}
			}, PropPayloadFormatIndicator, PropMessageExpiryInterval, PropContentType,
				PropResponseTopic, PropCorrelationData, PropTopicAlias)},
	},
	{
		name: "v5 empty topic with Topic Alias", version: V5,
		in: "30 07 00 00 03 23 00 07 70",
		want: &Publish{Payload: []byte("p"),
			Properties: props(func(p *Properties) { p.TopicAlias = 7 }, PropTopicAlias)},
	},
	{name: "v5 empty topic without Topic Alias", version: V5, in: "30 03 00 00 00", err: ProtocolError},
	{name: "MQTT-3.3.2-8 v5 Topic Alias 0", version: V5, in: "30 07 00 01 74 03 23 00 00", err: TopicAliasInvalid},
	{name: "v5 Topic Alias twice", version: V5, in: "30 0a 00 01 74 06 23 00 01 23 00 02", err: ProtocolError},
	{name: "v5 Session Expiry not valid in PUBLISH", version: V5, in: "30 09 00 01 74 05 11 00 00 00 01", err: MalformedPacket},
	{name: "v5 Subscription Identifier 0", version: V5, in: "30 06 00 01 74 02 0b 00", err: ProtocolError},
	{name: "v5 Payload Format Indicator 2", version: V5, in: "30 06 00 01 74 02 01 02", err: ProtocolError},
	{name: "v5 Content Type ill-formed UTF-8", version: V5, in: "30 09 00 01 74 05 03 00 02 c3 28", err: MalformedPacket},
	{name: "v5 User Property value with U+0000", version: V5, in: "30 0b 00 01 74 07 26 00 01 6b 00 01 00", err: MalformedPacket},
	{name: "v5 property length of 5 bytes", version: V5, in: "30 08 00 01 74 ff ff ff ff 7f", err: MalformedPacket},
	{name: "v5 property length beyond packet", version: V5, in: "30 05 00 01 74 05 01", err: MalformedPacket},
	{name: "v5 property value truncated", version: V5, in: "30 06 00 01 74 02 02 00", err: MalformedPacket},
	{name: "v5 PUBLISH missing property length", version: V5, in: "30 03 00 01 74", err: MalformedPacket},
}

var ackCases = []decodeCase{
	{name: "v311 PUBACK", version: V311, in: "40 02 00 01", want: &Ack{PacketType: TypePuback, PacketID: 1}},
	{name: "v311 PUBREC", version: V311, in: "50 02 00 02", want: &Ack{PacketType: TypePubrec, PacketID: 2}},
	{name: "v311 PUBREL", version: V311, in: "62 02 00 03", want: &Ack{PacketType: TypePubrel, PacketID: 3}},
	{name: "v311 PUBCOMP", version: V311, in: "70 02 00 04", want: &Ack{PacketType: TypePubcomp, PacketID: 4}},
	{name: "v31 PUBREL with DUP", version: V31, in: "6a 02 00 03", want: &Ack{PacketType: TypePubrel, PacketID: 3}},
	{name: "MQTT-3.6.1-1 PUBREL flags 0000", version: V311, in: "60 02 00 03", err: MalformedPacket},
	{name: "MQTT-2.2.2-1 PUBACK flags 0010", version: V311, in: "42 02 00 01", err: MalformedPacket},
	{name: "v311 PUBACK with a reason code", version: V311, in: "40 03 00 01 00", err: MalformedPacket},
	{name: "v311 PUBACK packet id 0", version: V311, in: "40 02 00 00", err: ProtocolError},
	{name: "v311 PUBACK truncated packet id", version: V311, in: "40 01 00", err: MalformedPacket},
	{name: "v5 PUBACK short form", version: V5, in: "40 02 00 01", want: &Ack{PacketType: TypePuback, PacketID: 1}},
	{name: "v5 PUBACK reason only", version: V5, in: "40 03 00 01 10",
		want: &Ack{PacketType: TypePuback, PacketID: 1, ReasonCode: NoMatchingSubscribers}},
	{name: "v5 PUBACK success empty properties", version: V5, in: "40 04 00 01 00 00",
		want: &Ack{PacketType: TypePuback, PacketID: 1}},
	{name: "v5 PUBREC with Reason String", version: V5, in: "50 0a 00 01 87 06 1f 00 03 62 61 64",
		want: &Ack{PacketType: TypePubrec, PacketID: 1, ReasonCode: NotAuthorized,
			Properties: props(func(p *Properties) { p.ReasonString = "bad" }, PropReasonString)}},
	{name: "v5 PUBREL packet identifier not found", version: V5, in: "62 03 00 01 92",
		want: &Ack{PacketType: TypePubrel, PacketID: 1, ReasonCode: PacketIdentifierNotFound}},
	{name: "v5 PUBREL reason code 0x10 not valid", version: V5, in: "62 03 00 01 10", err: ProtocolError},
	{name: "v5 PUBCOMP Topic Alias not valid", version: V5, in: "70 07 00 01 00 03 23 00 01", err: MalformedPacket},
	{name: "v5 PUBACK trailing byte after properties", version: V5, in: "40 05 00 01 00 00 00", err: MalformedPacket},
}

var subscribeCases = []decodeCase{
	{
		name: "v311 SUBSCRIBE two filters", version: V311,
		in: "82 0e 00 01 00 03 61 2f 62 01 00 03 63 2f 23 02",
		want: &Subscribe{PacketID: 1, Subscriptions: []Subscription{
			{Filter: "a/b", QoS: 1}, {Filter: "c/#", QoS: 2}}},
	},
	{
		name: "v311 SUBSCRIBE invalid filter syntax is left to the broker", version: V311,
		in:   "82 0a 00 01 00 05 61 2f 23 2f 62 00",
		want: &Subscribe{PacketID: 1, Subscriptions: []Subscription{{Filter: "a/#/b"}}},
	},
	{name: "MQTT-3.8.1-1 SUBSCRIBE flags 0000", version: V311, in: "80 08 00 01 00 03 61 2f 62 01", err: MalformedPacket},
	{name: "MQTT-3.8.3-3 SUBSCRIBE without filters", version: V311, in: "82 02 00 01", err: ProtocolError},
	{name: "MQTT-3-8.3-4 v311 reserved bits in requested QoS", version: V311, in: "82 08 00 01 00 03 61 2f 62 05", err: MalformedPacket},
	{name: "MQTT-3-8.3-4 v311 requested QoS 3", version: V311, in: "82 08 00 01 00 03 61 2f 62 03", err: MalformedPacket},
	{name: "SUBSCRIBE missing options byte", version: V311, in: "82 07 00 01 00 03 61 2f 62", err: MalformedPacket},
	{name: "SUBSCRIBE filter ill-formed UTF-8", version: V311, in: "82 07 00 01 00 02 c3 28 00", err: MalformedPacket},
	{name: "SUBSCRIBE packet id 0", version: V311, in: "82 08 00 00 00 03 61 2f 62 01", err: ProtocolError},
	{
		name: "v5 SUBSCRIBE with options and Subscription Identifier", version: V5,
		in: "82 0c 00 02 03 0b 80 01 00 03 61 2f 62 2d",
		want: &Subscribe{PacketID: 2,
			Properties: &Properties{SubscriptionIdentifiers: []uint32{128}},
			Subscriptions: []Subscription{{Filter: "a/b", QoS: 1, NoLocal: true,
				RetainAsPublished: true, RetainHandling: 2}}},
	},
	{name: "MQTT-3.8.3-5 v5 reserved option bits", version: V5, in: "82 09 00 01 00 00 03 61 2f 62 41", err: MalformedPacket},
	{name: "v5 Retain Handling 3", version: V5, in: "82 09 00 01 00 00 03 61 2f 62 30", err: ProtocolError},
	{name: "v5 Maximum QoS 3", version: V5, in: "82 09 00 01 00 00 03 61 2f 62 03", err: ProtocolError},
	{name: "MQTT-3.8.3-4 v5 No Local on shared subscription", version: V5,
		in: "82 10 00 01 00 00 0a 24 73 68 61 72 65 2f 67 2f 74 04", err: ProtocolError},
	{name: "v5 two Subscription Identifiers in SUBSCRIBE", version: V5,
		in: "82 0d 00 01 04 0b 01 0b 02 00 03 61 2f 62 00", err: ProtocolError},
	{name: "v5 SUBSCRIBE without filters", version: V5, in: "82 03 00 01 00", err: ProtocolError},
	{name: "v311 SUBACK", version: V311, in: "90 05 00 01 00 01 80",
		want: &Suback{PacketID: 1, ReasonCodes: []ReasonCode{GrantedQoS0, GrantedQoS1, UnspecifiedError}}},
	{name: "MQTT-3.9.3-2 v311 SUBACK reserved return code", version: V311, in: "90 03 00 01 03", err: ProtocolError},
	{name: "v5 SUBACK", version: V5, in: "90 06 00 01 00 00 02 a2",
		want: &Suback{PacketID: 1, ReasonCodes: []ReasonCode{GrantedQoS0, GrantedQoS2, WildcardSubscriptionsNotSupported}}},
	{name: "v5 SUBACK reason code not valid", version: V5, in: "90 04 00 01 00 04", err: ProtocolError},
	{name: "v5 SUBACK without reason codes", version: V5, in: "90 03 00 01 00", err: ProtocolError},
	{name: "v311 UNSUBSCRIBE", version: V311, in: "a2 07 00 01 00 03 61 2f 62",
		want: &Unsubscribe{PacketID: 1, Filters: []string{"a/b"}}},
	{name: "MQTT-3.10.1-1 UNSUBSCRIBE flags 0000", version: V311, in: "a0 07 00 01 00 03 61 2f 62", err: MalformedPacket},
	{name: "MQTT-3.10.3-2 UNSUBSCRIBE without filters", version: V311, in: "a2 02 00 01", err: ProtocolError},
	{name: "v5 UNSUBSCRIBE with User Property", version: V5,
		in: "a2 0d 00 01 07 26 00 01 6b 00 01 76 00 01 78",
		want: &Unsubscribe{PacketID: 1, Filters: []string{"x"},
			Properties: &Properties{UserProperties: []UserProperty{{"k", "v"}}}}},
	{name: "v311 UNSUBACK", version: V311, in: "b0 02 00 05", want: &Unsuback{PacketID: 5}},
	{name: "v311 UNSUBACK with reason codes", version: V311, in: "b0 03 00 05 00", err: MalformedPacket},
	{name: "v5 UNSUBACK", version: V5, in: "b0 05 00 05 00 00 11",
		want: &Unsuback{PacketID: 5, ReasonCodes: []ReasonCode{Success, NoSubscriptionExisted}}},
}

var miscCases = []decodeCase{
	{name: "PINGREQ", version: V311, in: "c0 00", want: &Pingreq{}},
	{name: "PINGRESP", version: V5, in: "d0 00", want: &Pingresp{}},
	{name: "PINGREQ with a body", version: V311, in: "c0 01 00", err: MalformedPacket},
	{name: "PINGREQ reserved flags", version: V311, in: "c1 00", err: MalformedPacket},
	{name: "v311 DISCONNECT", version: V311, in: "e0 00", want: &Disconnect{}},
	{name: "v311 DISCONNECT with a body", version: V311, in: "e0 01 00", err: MalformedPacket},
	{name: "DISCONNECT reserved flags", version: V311, in: "e2 00", err: MalformedPacket},
	{name: "v5 DISCONNECT short form", version: V5, in: "e0 00", want: &Disconnect{}},
	{name: "v5 DISCONNECT with will", version: V5, in: "e0 01 04", want: &Disconnect{ReasonCode: DisconnectWithWill}},
	{name: "v5 DISCONNECT session taken over, empty props", version: V5, in: "e0 02 8e 00",
		want: &Disconnect{ReasonCode: SessionTakenOver}},
	{name: "v5 DISCONNECT Session Expiry 0", version: V5, in: "e0 07 00 05 11 00 00 00 00",
		want: &Disconnect{Properties: props(nil, PropSessionExpiryInterval)}},
	{name: "v5 DISCONNECT reason code 0x01", version: V5, in: "e0 01 01", err: ProtocolError},
	{name: "v5 DISCONNECT Topic Alias not valid", version: V5, in: "e0 05 00 03 23 00 01", err: MalformedPacket},
	{name: "v5 AUTH short form", version: V5, in: "f0 00", want: &Auth{}},
	{name: "v5 AUTH continue with method", version: V5, in: "f0 0a 18 08 15 00 05 53 43 52 41 4d",
		want: &Auth{ReasonCode: ContinueAuthentication,
			Properties: props(func(p *Properties) { p.AuthenticationMethod = "SCRAM" }, PropAuthenticationMethod)}},
	{name: "v5 AUTH data without method", version: V5, in: "f0 06 18 04 16 00 01 aa", err: ProtocolError},
	{name: "v5 AUTH reserved flags", version: V5, in: "f1 00", err: MalformedPacket},
	{name: "v311 AUTH is reserved", version: V311, in: "f0 00", err: MalformedPacket},
	{name: "reserved packet type 0", version: V311, in: "00 00", err: MalformedPacket},
	{name: "Remaining Length of 5 bytes", version: V311, in: "30 ff ff ff ff 7f", err: MalformedPacket},
	{name: "stream ends in Remaining Length", version: V311, in: "30 ff", err: io.ErrUnexpectedEOF},
	{name: "stream ends in body", version: V311, in: "30 0a 00 03 61", err: io.ErrUnexpectedEOF},
	{name: "stream ends after first byte", version: V311, in: "30", err: io.ErrUnexpectedEOF},
	{name: "empty stream", version: V311, in: "", err: io.EOF},
}

func allDecodeCases() []decodeCase {
	var all []decodeCase
	for _, cs := range [][]decodeCase{connectCases, publishCases, ackCases, subscribeCases, miscCases} {
		all = append(all, cs...)
	}
	return all
}

func TestDecodeTable(t *testing.T) {
	for _, tc := range allDecodeCases() {
		in := hx(t, tc.in)
		// 4096 decodes in place from the read buffer; 16 forces the path
		// for bodies larger than the buffer (the smallest bufio size).
		for _, bufSize := range []int{4096, 16} {
			t.Run(tc.name, func(t *testing.T) {
				got, err := readOne(in, tc.version, bufSize)
				if !errMatches(err, tc.err) {
					t.Fatalf("buf %d: error = %v, want %v", bufSize, err, tc.err)
				}
				if !reflect.DeepEqual(got, tc.want) {
					t.Fatalf("buf %d: packet = %#v\nwant %#v", bufSize, got, tc.want)
				}
				if err != nil && tc.err != io.EOF && tc.err != io.ErrUnexpectedEOF {
					var e *Error
					if !errors.As(err, &e) || e.Msg == "" {
						t.Fatalf("error %v carries no *Error context", err)
					}
				}
			})
		}
		t.Run(tc.name+"/Decode", func(t *testing.T) {
			got, n, err := Decode(in, tc.version)
			want := tc.err
			if want == io.EOF {
				want = io.ErrUnexpectedEOF
			}
			if !errMatches(err, want) {
				t.Fatalf("Decode error = %v, want %v", err, want)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("Decode packet = %#v\nwant %#v", got, tc.want)
			}
			if err == nil && n != len(in) {
				t.Fatalf("Decode consumed %d of %d bytes", n, len(in))
			}
		})
	}
}

// TestReaderSwitchesVersion reads a v5 session: CONNECT (Reader at 0), then
// packets that only parse correctly as v5.
func TestReaderSwitchesVersion(t *testing.T) {
	stream := hx(t, "10 0d 00 04 4d 51 54 54 05 02 00 3c 00 00 00"+ // CONNECT v5
		"30 0b 00 03 61 2f 62 00 68 65 6c 6c 6f"+ // PUBLISH with property length
		"e0 01 04") // DISCONNECT with will
	r := NewReader(bytes.NewReader(stream), 0)
	p, err := r.Read()
	if err != nil || r.Version != V5 {
		t.Fatalf("CONNECT: %v, version %d", err, r.Version)
	}
	if c := p.(*Connect); c.ProtocolVersion != V5 {
		t.Fatalf("level %d", c.ProtocolVersion)
	}
	p, err = r.Read()
	if err != nil || string(p.(*Publish).Payload) != "hello" {
		t.Fatalf("PUBLISH: %v %#v", err, p)
	}
	p, err = r.Read()
	if err != nil || p.(*Disconnect).ReasonCode != DisconnectWithWill {
		t.Fatalf("DISCONNECT: %v %#v", err, p)
	}
	if _, err := r.Read(); err != io.EOF {
		t.Fatalf("end: %v", err)
	}
}

func TestReaderUnsupportedVersionKeepsVersion(t *testing.T) {
	r := NewReader(bytes.NewReader(hx(t, "10 0c 00 04 4d 51 54 54 06 02 00 3c 00 00")), 0)
	p, err := r.Read()
	if !errors.Is(err, UnsupportedProtocolVersion) || p == nil || r.Version != 0 {
		t.Fatalf("got %v %v version %d", p, err, r.Version)
	}
}

func TestReaderPacketTooLarge(t *testing.T) {
	in := hx(t, "30 0a 00 03 61 2f 62 68 65 6c 6c 6f") // 12 bytes
	r := NewReader(bytes.NewReader(in), 0)
	r.Version = V311
	r.MaxPacketSize = 12
	if _, err := r.Read(); err != nil {
		t.Fatalf("12-byte packet with limit 12: %v", err)
	}
	r = NewReader(bytes.NewReader(in), 0)
	r.Version = V311
	r.SetMaxPacketSize(11)
	_, err := r.Read()
	if !errors.Is(err, PacketTooLarge) {
		t.Fatalf("error = %v, want PacketTooLarge", err)
	}
	if _, err2 := r.Read(); err2 != err {
		t.Fatalf("error not sticky: %v", err2)
	}
}

func TestReaderErrorRecovery(t *testing.T) {
	// A body error leaves the stream at the next packet.
	r := NewReader(bytes.NewReader(hx(t, "40 02 00 00 c0 00")), 0)
	r.Version = V311
	if _, err := r.Read(); !errors.Is(err, ProtocolError) {
		t.Fatalf("first: %v", err)
	}
	if p, err := r.Read(); err != nil || p.Type() != TypePingreq {
		t.Fatalf("second: %v %v", p, err)
	}
	// A fixed header error is sticky.
	r = NewReader(bytes.NewReader(hx(t, "42 02 00 01 c0 00")), 0)
	r.Version = V311
	_, err1 := r.Read()
	_, err2 := r.Read()
	if !errors.Is(err1, MalformedPacket) || err2 != err1 {
		t.Fatalf("got %v then %v", err1, err2)
	}
	// An error before the first byte (e.g. a read deadline) is not.
	fr := &flakyReader{data: hx(t, "c0 00")}
	r = NewReader(fr, 0)
	r.Version = V311
	if _, err := r.Read(); !errors.Is(err, errFlaky) {
		t.Fatalf("flaky: %v", err)
	}
	if p, err := r.Read(); err != nil || p.Type() != TypePingreq {
		t.Fatalf("after flaky: %v %v", p, err)
	}
}

var errFlaky = errors.New("i/o timeout")

type flakyReader struct {
	data   []byte
	failed bool
}

func (f *flakyReader) Read(p []byte) (int, error) {
	if !f.failed {
		f.failed = true
		return 0, errFlaky
	}
	if len(f.data) == 0 {
		return 0, io.EOF
	}
	n := copy(p, f.data)
	f.data = f.data[n:]
	return n, nil
}
