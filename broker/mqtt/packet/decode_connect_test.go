package packet

import "io"

// Test vectors are written by hand from the packet layouts of the MQTT
// 3.1.1 and 5.0 standards (and, for the first one, the fixed layout of a
// mosquitto_pub 3.1.1 CONNECT: clean session, keep alive 60, no will, no
// credentials), never produced by this package's encoder.

type decodeCase struct {
	name    string
	version byte   // Reader version before the packet (0 = expect CONNECT)
	in      string // hex
	want    Packet // expected packet (nil on error, except CONNECT 0x84)
	err     error  // nil, a ReasonCode, or an io error
}

var connectCases = []decodeCase{
	{
		name: "v311 mosquitto_pub CONNECT", version: 0,
		in: "10 15 00 04 4d 51 54 54 04 02 00 3c 00 09 6d 6f 73 71 70 75 62 2d 31",
		want: &Connect{ProtocolName: "MQTT", ProtocolVersion: 4, CleanStart: true,
			KeepAlive: 60, ClientID: "mosqpub-1"},
	},
	{
		// 3.1.1 §3.1.2.10 example: flags 0xCE, keep alive 10.
		name: "v311 CONNECT will+user+password", version: 0,
		in: "10 1e 00 04 4d 51 54 54 04 ce 00 0a" +
			"00 02 63 31 00 03 77 2f 74 00 03 62 79 65 00 01 75 00 01 70",
		want: &Connect{ProtocolName: "MQTT", ProtocolVersion: 4, CleanStart: true,
			KeepAlive: 10, ClientID: "c1", WillFlag: true, WillQoS: 1,
			WillTopic: "w/t", WillPayload: []byte("bye"), UsernameFlag: true,
			Username: "u", PasswordFlag: true, Password: []byte("p")},
	},
	{
		name: "v31 MQIsdp CONNECT", version: 0,
		in: "10 11 00 06 4d 51 49 73 64 70 03 02 00 3c 00 03 61 62 63",
		want: &Connect{ProtocolName: "MQIsdp", ProtocolVersion: 3, CleanStart: true,
			KeepAlive: 60, ClientID: "abc"},
	},
	{
		// 5.0 §3.1.2.12 example variable header: flags 0xCE, keep alive 10,
		// Session Expiry Interval 10; will properties Will Delay 5, Payload
		// Format Indicator 1.
		name: "v5 CONNECT spec example with will properties", version: 0,
		in: "10 2c 00 04 4d 51 54 54 05 ce 00 0a 05 11 00 00 00 0a" +
			"00 02 63 31 07 18 00 00 00 05 01 01 00 03 77 2f 74 00 03 62 79 65" +
			"00 01 75 00 01 70",
		want: &Connect{ProtocolName: "MQTT", ProtocolVersion: 5, CleanStart: true,
			KeepAlive: 10, ClientID: "c1", WillFlag: true, WillQoS: 1,
			WillTopic: "w/t", WillPayload: []byte("bye"), UsernameFlag: true,
			Username: "u", PasswordFlag: true, Password: []byte("p"),
			Properties: props(func(p *Properties) { p.SessionExpiryInterval = 10 }, PropSessionExpiryInterval),
			WillProperties: props(func(p *Properties) {
				p.WillDelayInterval = 5
				p.PayloadFormatIndicator = 1
			}, PropWillDelayInterval, PropPayloadFormatIndicator),
		},
	},
	{
		name: "v5 CONNECT many properties, empty client id", version: 0,
		in: "10 2f 00 04 4d 51 54 54 05 02 00 3c 22" +
			"11 00 00 0e 10" + // Session Expiry Interval 3600
			"21 00 14" + // Receive Maximum 20
			"22 00 0a" + // Topic Alias Maximum 10
			"27 00 01 00 00" + // Maximum Packet Size 65536
			"26 00 01 6b 00 01 76" + // User Property k=v
			"15 00 03 61 62 63" + // Authentication Method "abc"
			"16 00 02 01 02" + // Authentication Data 01 02
			"00 00",
		want: &Connect{ProtocolName: "MQTT", ProtocolVersion: 5, CleanStart: true, KeepAlive: 60,
			Properties: props(func(p *Properties) {
				p.SessionExpiryInterval = 3600
				p.ReceiveMaximum = 20
				p.TopicAliasMaximum = 10
				p.MaximumPacketSize = 65536
				p.UserProperties = []UserProperty{{"k", "v"}}
				p.AuthenticationMethod = "abc"
				p.AuthenticationData = []byte{1, 2}
			}, PropSessionExpiryInterval, PropReceiveMaximum, PropTopicAliasMaximum,
				PropMaximumPacketSize, PropAuthenticationMethod, PropAuthenticationData),
		},
	},
	{
		name: "v5 password without user name is allowed", version: 0,
		in: "10 11 00 04 4d 51 54 54 05 42 00 3c 00 00 00 00 02 70 77",
		want: &Connect{ProtocolName: "MQTT", ProtocolVersion: 5, CleanStart: true,
			KeepAlive: 60, PasswordFlag: true, Password: []byte("pw")},
	},
	{
		name: "MQTT-3.1.2-3 reserved connect flag", version: 0,
		in:  "10 0c 00 04 4d 51 54 54 04 03 00 3c 00 00",
		err: MalformedPacket,
	},
	{
		name: "MQTT-3.1.2-11 will QoS without will flag", version: 0,
		in:  "10 0c 00 04 4d 51 54 54 04 0a 00 3c 00 00",
		err: MalformedPacket,
	},
	{
		name: "MQTT-3.1.2-13 will retain without will flag", version: 0,
		in:  "10 0d 00 04 4d 51 54 54 05 22 00 3c 00 00 00",
		err: MalformedPacket,
	},
	{
		name: "MQTT-3.1.2-12 will QoS 3", version: 0,
		in:  "10 0c 00 04 4d 51 54 54 04 1e 00 3c 00 00",
		err: MalformedPacket,
	},
	{
		name: "MQTT-3.1.2-22 v311 password without user name", version: 0,
		in:  "10 10 00 04 4d 51 54 54 04 42 00 3c 00 00 00 02 70 77",
		err: MalformedPacket,
	},
	{
		name: "MQTT-3.1.2-2 unsupported level returns the CONNECT", version: 0,
		in:   "10 0c 00 04 4d 51 54 54 06 02 00 3c 00 00",
		want: &Connect{ProtocolName: "MQTT", ProtocolVersion: 6},
		err:  UnsupportedProtocolVersion,
	},
	{
		name: "MQTT-3.1.2-1 MQIsdp with level 4", version: 0,
		in:   "10 0e 00 06 4d 51 49 73 64 70 04 02 00 3c 00 00",
		want: &Connect{ProtocolName: "MQIsdp", ProtocolVersion: 4},
		err:  UnsupportedProtocolVersion,
	},
	{
		name: "MQTT-1.5.3-1 ill-formed UTF-8 client id", version: 0,
		in:  "10 0e 00 04 4d 51 54 54 04 02 00 3c 00 02 c3 28",
		err: MalformedPacket,
	},
	{
		name: "MQTT-1.5.3-1 UTF-16 surrogate in client id", version: 0,
		in:  "10 0f 00 04 4d 51 54 54 04 02 00 3c 00 03 ed a0 80",
		err: MalformedPacket,
	},
	{
		name: "MQTT-1.5.3-2 U+0000 in client id", version: 0,
		in:  "10 0d 00 04 4d 51 54 54 04 02 00 3c 00 01 00",
		err: MalformedPacket,
	},
	{
		name: "trailing byte after payload", version: 0,
		in:  "10 0d 00 04 4d 51 54 54 04 02 00 3c 00 00 ff",
		err: MalformedPacket,
	},
	{
		name: "client id longer than remaining length", version: 0,
		in:  "10 0c 00 04 4d 51 54 54 04 02 00 3c 00 05",
		err: MalformedPacket,
	},
	{
		name: "stream ends inside CONNECT", version: 0,
		in:  "10 0c 00 04 4d 51 54",
		err: io.ErrUnexpectedEOF,
	},
	{
		name: "missing will topic", version: 0,
		in:  "10 0c 00 04 4d 51 54 54 04 06 00 3c 00 00",
		err: MalformedPacket,
	},
	{
		name: "v5 property not valid in CONNECT (Topic Alias)", version: 0,
		in:  "10 10 00 04 4d 51 54 54 05 02 00 3c 03 23 00 01 00 00",
		err: MalformedPacket,
	},
	{
		name: "v5 duplicate Session Expiry Interval", version: 0,
		in:  "10 17 00 04 4d 51 54 54 05 02 00 3c 0a 11 00 00 00 01 11 00 00 00 02 00 00",
		err: ProtocolError,
	},
	{
		name: "v5 Receive Maximum 0", version: 0,
		in:  "10 10 00 04 4d 51 54 54 05 02 00 3c 03 21 00 00 00 00",
		err: ProtocolError,
	},
	{
		name: "v5 Maximum Packet Size 0", version: 0,
		in:  "10 12 00 04 4d 51 54 54 05 02 00 3c 05 27 00 00 00 00 00 00",
		err: ProtocolError,
	},
	{
		name: "v5 Request Problem Information 2", version: 0,
		in:  "10 0f 00 04 4d 51 54 54 05 02 00 3c 02 17 02 00 00",
		err: ProtocolError,
	},
	{
		name: "v5 Authentication Data without Method", version: 0,
		in:  "10 11 00 04 4d 51 54 54 05 02 00 3c 04 16 00 01 aa 00 00",
		err: ProtocolError,
	},
	{
		name: "v5 unknown property identifier 0x05", version: 0,
		in:  "10 0f 00 04 4d 51 54 54 05 02 00 3c 02 05 00 00 00",
		err: MalformedPacket,
	},
	{
		name: "v5 property length beyond packet", version: 0,
		in:  "10 0d 00 04 4d 51 54 54 05 02 00 3c 09 00 00",
		err: MalformedPacket,
	},
	{
		name: "v5 will property not valid in Will Properties (Session Expiry)", version: 0,
		in: "10 18 00 04 4d 51 54 54 05 06 00 3c 00 00 00 05 11 00 00 00 01" +
			"00 01 74 00 00",
		err: MalformedPacket,
	},
	{
		name: "MQTT-3.1.0-1 first packet must be CONNECT", version: 0,
		in:  "c0 00",
		err: ProtocolError,
	},
	{
		name: "v311 CONNACK accepted", version: V311,
		in:   "20 02 00 00",
		want: &Connack{},
	},
	{
		name: "v311 CONNACK session present", version: V311,
		in:   "20 02 01 00",
		want: &Connack{SessionPresent: true},
	},
	{
		name: "v311 CONNACK not authorized maps to 0x87", version: V311,
		in:   "20 02 00 05",
		want: &Connack{ReasonCode: NotAuthorized},
	},
	{
		name: "v311 CONNACK reserved return code 6", version: V311,
		in:  "20 02 00 06",
		err: MalformedPacket,
	},
	{
		name: "MQTT-3.2.2-1 CONNACK reserved flag bits", version: V311,
		in:  "20 02 02 00",
		err: MalformedPacket,
	},
	{
		name: "v311 MQTT-3.2.2-4 session present with refusal", version: V311,
		in:  "20 02 01 04",
		err: ProtocolError,
	},
	{
		name: "v311 CONNACK remaining length 3", version: V311,
		in:  "20 03 00 00 00",
		err: MalformedPacket,
	},
	{
		name: "v5 CONNACK success no properties", version: V5,
		in:   "20 03 00 00 00",
		want: &Connack{},
	},
	{
		name: "v5 CONNACK with properties", version: V5,
		in: "20 0a 01 00 07 24 01 25 00 22 00 05",
		want: &Connack{SessionPresent: true, Properties: props(func(p *Properties) {
			p.MaximumQoS = 1
			p.TopicAliasMaximum = 5
		}, PropMaximumQoS, PropRetainAvailable, PropTopicAliasMaximum)},
	},
	{
		name: "v5 CONNACK not authorized", version: V5,
		in:   "20 03 00 87 00",
		want: &Connack{ReasonCode: NotAuthorized},
	},
	{
		name: "v5 CONNACK Maximum QoS 2", version: V5,
		in:  "20 05 00 00 02 24 02",
		err: ProtocolError,
	},
	{
		name: "v5 CONNACK reason code not valid for CONNACK", version: V5,
		in:  "20 03 00 04 00",
		err: ProtocolError,
	},
	{
		name: "v5 CONNACK missing property length", version: V5,
		in:  "20 02 00 00",
		err: MalformedPacket,
	},
	{
		name: "v5 CONNACK Retain Available duplicated", version: V5,
		in:  "20 07 00 00 04 25 01 25 01",
		err: ProtocolError,
	},
}
