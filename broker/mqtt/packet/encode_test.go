package packet

import (
	"bytes"
	"errors"
	"testing"
)

// Expected bytes are written by hand from the standards' packet layouts.
func TestAppendKnownBytes(t *testing.T) {
	cases := []struct {
		name    string
		p       Packet
		version byte
		want    string
	}{
		{"v311 CONNECT mosquitto_pub layout", &Connect{ProtocolVersion: 4, CleanStart: true, KeepAlive: 60, ClientID: "mosqpub-1"}, V311,
			"10 15 00 04 4d 51 54 54 04 02 00 3c 00 09 6d 6f 73 71 70 75 62 2d 31"},
		{"v31 CONNECT fills in MQIsdp", &Connect{CleanStart: true, KeepAlive: 60, ClientID: "abc"}, V31,
			"10 11 00 06 4d 51 49 73 64 70 03 02 00 3c 00 03 61 62 63"},
		{"v5 CONNECT empty properties", &Connect{ProtocolVersion: 5, CleanStart: true, KeepAlive: 60}, V5,
			"10 0d 00 04 4d 51 54 54 05 02 00 3c 00 00 00"},
		{"v311 CONNACK is session present + return code", &Connack{SessionPresent: true}, V311, "20 02 01 00"},
		{"v311 CONNACK maps Banned to not authorized", &Connack{ReasonCode: Banned}, V311, "20 02 00 05"},
		{"v311 CONNACK maps ServerBusy to server unavailable", &Connack{ReasonCode: ServerBusy}, V311, "20 02 00 03"},
		{"v311 CONNACK maps 0x84 to unacceptable protocol version", &Connack{ReasonCode: UnsupportedProtocolVersion}, V311, "20 02 00 01"},
		{"v5 CONNACK 0x84", &Connack{ReasonCode: UnsupportedProtocolVersion}, V5, "20 03 00 84 00"},
		{"v5 CONNACK with Assigned Client Identifier", &Connack{Properties: props(func(p *Properties) {
			p.AssignedClientIdentifier = "id"
		}, PropAssignedClientIdentifier)}, V5, "20 08 00 00 05 12 00 02 69 64"},
		{"v311 PUBLISH QoS 1 retain", &Publish{QoS: 1, Retain: true, Topic: "a/b", PacketID: 10, Payload: []byte("hello")}, V311,
			"33 0c 00 03 61 2f 62 00 0a 68 65 6c 6c 6f"},
		{"v311 PUBLISH drops properties", &Publish{Topic: "t", Payload: []byte("x"),
			Properties: props(func(p *Properties) { p.TopicAlias = 1 }, PropTopicAlias)}, V311, "30 04 00 01 74 78"},
		{"v5 PUBLISH zero property length", &Publish{Topic: "a/b", Payload: []byte("hello")}, V5,
			"30 0b 00 03 61 2f 62 00 68 65 6c 6c 6f"},
		{"v5 PUBLISH two Subscription Identifiers", &Publish{Topic: "t", Properties: &Properties{SubscriptionIdentifiers: []uint32{1, 268435455}}}, V5,
			"30 0b 00 01 74 07 0b 01 0b ff ff ff 7f"},
		{"v311 PUBACK is packet id only", &Ack{PacketType: TypePuback, PacketID: 7, ReasonCode: NoMatchingSubscribers}, V311, "40 02 00 07"},
		{"MQTT-3.4.2.1 v5 PUBACK success omits reason and properties", &Ack{PacketType: TypePuback, PacketID: 7}, V5, "40 02 00 07"},
		{"v5 PUBACK reason without properties", &Ack{PacketType: TypePuback, PacketID: 7, ReasonCode: QuotaExceeded}, V5, "40 03 00 07 97"},
		{"v5 PUBREL has flags 0010", &Ack{PacketType: TypePubrel, PacketID: 7}, V5, "62 02 00 07"},
		{"v5 PUBCOMP with Reason String", &Ack{PacketType: TypePubcomp, PacketID: 1, ReasonCode: PacketIdentifierNotFound,
			Properties: props(func(p *Properties) { p.ReasonString = "bad" }, PropReasonString)}, V5, "70 0a 00 01 92 06 1f 00 03 62 61 64"},
		{"v311 SUBSCRIBE drops v5 options", &Subscribe{PacketID: 1, Subscriptions: []Subscription{{Filter: "a/b", QoS: 1, NoLocal: true, RetainHandling: 2}}}, V311,
			"82 08 00 01 00 03 61 2f 62 01"},
		{"v5 SUBSCRIBE options byte", &Subscribe{PacketID: 2, Properties: &Properties{SubscriptionIdentifiers: []uint32{128}},
			Subscriptions: []Subscription{{Filter: "a/b", QoS: 1, NoLocal: true, RetainAsPublished: true, RetainHandling: 2}}}, V5,
			"82 0c 00 02 03 0b 80 01 00 03 61 2f 62 2d"},
		{"v311 SUBACK maps failures to 0x80", &Suback{PacketID: 1, ReasonCodes: []ReasonCode{GrantedQoS0, GrantedQoS1, GrantedQoS2, NotAuthorized}}, V311,
			"90 06 00 01 00 01 02 80"},
		{"v5 SUBACK", &Suback{PacketID: 1, ReasonCodes: []ReasonCode{GrantedQoS2, NotAuthorized}}, V5, "90 05 00 01 00 02 87"},
		{"v311 UNSUBSCRIBE", &Unsubscribe{PacketID: 1, Filters: []string{"a/b", "c"}}, V311, "a2 0a 00 01 00 03 61 2f 62 00 01 63"},
		{"v311 UNSUBACK drops reason codes", &Unsuback{PacketID: 5, ReasonCodes: []ReasonCode{Success}}, V311, "b0 02 00 05"},
		{"v5 UNSUBACK", &Unsuback{PacketID: 5, ReasonCodes: []ReasonCode{Success, NoSubscriptionExisted}}, V5, "b0 05 00 05 00 00 11"},
		{"PINGREQ", &Pingreq{}, V311, "c0 00"},
		{"PINGRESP", &Pingresp{}, V5, "d0 00"},
		{"v311 DISCONNECT is two bytes", &Disconnect{ReasonCode: ServerShuttingDown}, V311, "e0 00"},
		{"v5 DISCONNECT normal is two bytes", &Disconnect{}, V5, "e0 00"},
		{"v5 DISCONNECT reason only", &Disconnect{ReasonCode: ServerShuttingDown}, V5, "e0 01 8b"},
		{"v5 DISCONNECT Server Reference", &Disconnect{ReasonCode: UseAnotherServer,
			Properties: props(func(p *Properties) { p.ServerReference = "b" }, PropServerReference)}, V5, "e0 06 9c 04 1c 00 01 62"},
		{"v5 AUTH", &Auth{ReasonCode: ContinueAuthentication,
			Properties: props(func(p *Properties) { p.AuthenticationMethod = "SCRAM" }, PropAuthenticationMethod)}, V5,
			"f0 0a 18 08 15 00 05 53 43 52 41 4d"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			want := hx(t, tc.want)
			got, err := Append([]byte("prefix"), tc.p, tc.version)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.HasPrefix(got, []byte("prefix")) || !bytes.Equal(got[6:], want) {
				t.Fatalf("got  % x\nwant % x", got[6:], want)
			}
			if n := Size(tc.p, tc.version); n != len(want) {
				t.Fatalf("Size = %d, want %d", n, len(want))
			}
		})
	}
}

func TestAppendRejects(t *testing.T) {
	big := make([]byte, MaxStringLen+1)
	cases := []struct {
		name    string
		p       Packet
		version byte
		code    ReasonCode
	}{
		{"PUBLISH QoS 3", &Publish{Topic: "t", QoS: 3, PacketID: 1}, V311, MalformedPacket},
		{"PUBLISH QoS 1 packet id 0", &Publish{Topic: "t", QoS: 1}, V311, ProtocolError},
		{"PUBLISH DUP with QoS 0", &Publish{Topic: "t", Dup: true}, V5, MalformedPacket},
		{"PUBLISH empty topic v311", &Publish{}, V311, ProtocolError},
		{"PUBLISH empty topic v5 without alias", &Publish{}, V5, ProtocolError},
		{"PUBLISH topic too long", &Publish{Topic: string(big)}, V311, MalformedPacket},
		{"PUBLISH unknown version", &Publish{Topic: "t"}, 6, UnsupportedProtocolVersion},
		{"PUBLISH Session Expiry not valid", &Publish{Topic: "t", Properties: props(nil, PropSessionExpiryInterval)}, V5, MalformedPacket},
		{"PUBLISH Topic Alias 0", &Publish{Topic: "t", Properties: props(nil, PropTopicAlias)}, V5, TopicAliasInvalid},
		{"PUBLISH Subscription Identifier 0", &Publish{Topic: "t", Properties: &Properties{SubscriptionIdentifiers: []uint32{0}}}, V5, ProtocolError},
		{"PUBLISH unknown property bit", &Publish{Topic: "t", Properties: &Properties{Present: 1 << 5}}, V5, MalformedPacket},
		{"CONNECT level 6", &Connect{ProtocolVersion: 6}, V5, UnsupportedProtocolVersion},
		{"CONNECT will QoS without will", &Connect{WillQoS: 1}, V311, MalformedPacket},
		{"CONNECT v311 password without user", &Connect{PasswordFlag: true}, V311, MalformedPacket},
		{"CONNECT Receive Maximum 0", &Connect{Properties: props(nil, PropReceiveMaximum)}, V5, ProtocolError},
		{"CONNACK session present with refusal", &Connack{SessionPresent: true, ReasonCode: NotAuthorized}, V311, ProtocolError},
		{"CONNACK v5 code not valid", &Connack{ReasonCode: GrantedQoS1}, V5, ProtocolError},
		{"Ack wrong type", &Ack{PacketType: TypeSuback, PacketID: 1}, V5, ProtocolError},
		{"Ack packet id 0", &Ack{PacketType: TypePuback}, V5, ProtocolError},
		{"PUBREL code not valid", &Ack{PacketType: TypePubrel, PacketID: 1, ReasonCode: NotAuthorized}, V5, ProtocolError},
		{"SUBSCRIBE empty", &Subscribe{PacketID: 1}, V5, ProtocolError},
		{"SUBSCRIBE QoS 3", &Subscribe{PacketID: 1, Subscriptions: []Subscription{{Filter: "a", QoS: 3}}}, V311, ProtocolError},
		{"SUBSCRIBE No Local on shared", &Subscribe{PacketID: 1, Subscriptions: []Subscription{{Filter: "$share/g/a", NoLocal: true}}}, V5, ProtocolError},
		{"UNSUBSCRIBE empty", &Unsubscribe{PacketID: 1}, V311, ProtocolError},
		{"SUBACK no codes", &Suback{PacketID: 1}, V311, ProtocolError},
		{"UNSUBACK v5 no codes", &Unsuback{PacketID: 1}, V5, ProtocolError},
		{"DISCONNECT code not valid", &Disconnect{ReasonCode: GrantedQoS1}, V5, ProtocolError},
		{"AUTH in v311", &Auth{}, V311, ProtocolError},
		{"nil packet", nil, V5, ImplementationSpecificError},
		{"typed nil", (*Connack)(nil), V5, ImplementationSpecificError},
		{"typed nil PUBLISH", (*Publish)(nil), V5, ImplementationSpecificError},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dst := []byte("keep")
			got, err := Append(dst, tc.p, tc.version)
			if !errors.Is(err, tc.code) {
				t.Fatalf("error = %v, want %v", err, tc.code)
			}
			if string(got) != "keep" {
				t.Fatalf("dst modified on error: %q", got)
			}
			if Size(tc.p, tc.version) != -1 {
				t.Fatalf("Size should be -1")
			}
		})
	}
}

func TestAppendPublishMatchesAppend(t *testing.T) {
	p := &Publish{QoS: 2, Dup: true, Retain: true, Topic: "x/y", PacketID: 9, Payload: []byte("payload"),
		Properties: props(func(p *Properties) { p.MessageExpiryInterval = 5 }, PropMessageExpiryInterval)}
	for _, v := range []byte{V31, V311, V5} {
		a, err := Append(nil, p, v)
		if err != nil {
			t.Fatal(err)
		}
		b, err := AppendPublish(nil, v, p.Topic, p.Payload, p.QoS, p.Retain, p.Dup, p.PacketID, p.Properties)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(a, b) || PublishSize(v, p.Topic, p.Payload, p.QoS, p.Dup, p.PacketID, p.Properties) != len(a) {
			t.Fatalf("v%d: Append and AppendPublish differ", v)
		}
	}
}

// TestRemainingLengthBoundaries checks the Variable Byte Integer sizes at
// the boundaries listed in §1.5.5 (0, 127, 128, 16383, 16384, 2097151,
// 2097152).
func TestRemainingLengthBoundaries(t *testing.T) {
	for _, rem := range []int{5, 127, 128, 16383, 16384, 2097151, 2097152} {
		payload := make([]byte, rem-3) // topic "t" takes 3 bytes
		pkt, err := AppendPublish(nil, V311, "t", payload, 0, false, false, 0, nil)
		if err != nil {
			t.Fatal(err)
		}
		hl := len(pkt) - rem - 1
		want := varIntLen(rem)
		if hl != want {
			t.Fatalf("rem %d: header length %d, want %d", rem, hl, want)
		}
		got, err := readOne(pkt, V311, 0)
		if err != nil || len(got.(*Publish).Payload) != rem-3 {
			t.Fatalf("rem %d: %v", rem, err)
		}
	}
}
