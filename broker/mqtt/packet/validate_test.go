package packet

import (
	"errors"
	"strings"
	"testing"
)

func TestValidTopicName(t *testing.T) {
	cases := map[string]bool{
		"a":                         true,
		"a/b/c":                     true,
		"/":                         true,
		"$SYS/broker":               true,
		"sport/tennis/player1":      true,
		"日本/🙂":                      true,
		"":                          false, // [MQTT-4.7.3-1]
		"a/+":                       false, // [MQTT-4.7.1-1] wildcards
		"a/#":                       false,
		"a+b":                       false,
		"a\x00b":                    false, // [MQTT-1.5.4-2]
		"\xc3\x28":                  false, // [MQTT-1.5.4-1]
		strings.Repeat("a", 65536):  false,
		strings.Repeat("a", 65535):  true,
		"\xed\xa0\x80":              false, // surrogate
		"ok/\xef\xbf\xbf/noncharac": true,  // U+FFFF is only "SHOULD NOT"
	}
	for in, want := range cases {
		if got := ValidTopicName(in); got != want {
			t.Errorf("ValidTopicName(%q) = %v, want %v", in, got, want)
		}
	}
}

func TestValidTopicFilter(t *testing.T) {
	cases := map[string]bool{
		"#":                      true, // [MQTT-4.7.1-2] examples of §4.7.1.2
		"sport/tennis/player1":   true,
		"sport/tennis/#":         true,
		"sport/#":                true,
		"+":                      true,
		"+/tennis/#":             true,
		"sport/+/player1":        true,
		"/+":                     true,
		"+/+":                    true,
		"a//b":                   true,
		"$share/g/a":             true,  // shared syntax is ParseShared's job
		"":                       false, // [MQTT-4.7.3-1]
		"sport/tennis#":          false,
		"sport/tennis/#/ranking": false,
		"#/a":                    false,
		"sport+":                 false,
		"a/b+/c":                 false,
		"##":                     false,
		"a/\x00":                 false,
		"a/\xff":                 false,
	}
	for in, want := range cases {
		if got := ValidTopicFilter(in); got != want {
			t.Errorf("ValidTopicFilter(%q) = %v, want %v", in, got, want)
		}
	}
}

func TestParseShared(t *testing.T) {
	cases := []struct {
		in, group, filter string
		ok                bool
		err               bool
	}{
		{"a/b", "", "a/b", false, false},
		{"$share", "", "$share", false, false},
		{"$sharegroup/a", "", "$sharegroup/a", false, false},
		{"$share/g/a/b", "g", "a/b", true, false},
		{"$share/consumer1/sport/tennis/+", "consumer1", "sport/tennis/+", true, false},
		{"$share/g/#", "g", "#", true, false},
		{"$share//a", "", "", true, true},   // [MQTT-4.8.2-1] empty ShareName
		{"$share/g", "", "", true, true},    // [MQTT-4.8.2-2] no "/" after ShareName
		{"$share/g/", "", "", true, true},   // empty filter
		{"$share/g+/a", "", "", true, true}, // [MQTT-4.8.2-2] wildcard in ShareName
		{"$share/#/a", "", "", true, true},
		{"$share/g/a/#/b", "", "", true, true},
	}
	for _, tc := range cases {
		g, f, ok, err := ParseShared(tc.in)
		if g != tc.group || f != tc.filter || ok != tc.ok || (err != nil) != tc.err {
			t.Errorf("ParseShared(%q) = %q, %q, %v, %v", tc.in, g, f, ok, err)
		}
		if err != nil && !errors.Is(err, TopicFilterInvalid) {
			t.Errorf("ParseShared(%q) error %v is not TopicFilterInvalid", tc.in, err)
		}
	}
}

func TestReasonCodes(t *testing.T) {
	if MalformedPacket.String() != "Malformed Packet" || WildcardSubscriptionsNotSupported != 0xA2 ||
		DisconnectWithWill.String() != "Disconnect with Will Message" || ReasonCode(0x7f).String() != "Reason code 0x7f" {
		t.Fatal("reason code names")
	}
	if len(reasonNames) != 43 {
		t.Fatalf("%d reason code names, the MQTT 5 table has 43", len(reasonNames))
	}
	var err error = &Error{Code: ProtocolError, Packet: TypePublish, Msg: "x"}
	if !errors.Is(err, ProtocolError) || errors.Is(err, MalformedPacket) {
		t.Fatal("errors.Is")
	}
	if !errors.Is(err, &Error{Code: ProtocolError}) {
		t.Fatal("errors.Is with *Error target")
	}
	var rc ReasonCode
	if !errors.As(err, &rc) || rc != ProtocolError {
		t.Fatal("errors.As")
	}
	if c, ok := CodeOf(err); !ok || c != ProtocolError {
		t.Fatal("CodeOf")
	}
	if _, ok := CodeOf(errors.New("x")); ok {
		t.Fatal("CodeOf plain error")
	}
	if s := err.Error(); s != "mqtt: PUBLISH: x (Protocol Error)" {
		t.Fatalf("Error() = %q", s)
	}
	if !NotAuthorized.IsError() || GrantedQoS2.IsError() {
		t.Fatal("IsError")
	}
}

func TestConnackCodeMapping(t *testing.T) {
	for c := ConnAccepted; c <= ConnRefusedNotAuthorized; c++ {
		if ConnackCodeFor(c.ReasonCode()) != c {
			t.Errorf("%v does not round-trip", c)
		}
	}
	want := map[ReasonCode]ConnackCode{
		Success: 0, UnsupportedProtocolVersion: 1, ClientIdentifierNotValid: 2,
		ServerUnavailable: 3, ServerBusy: 3, UnspecifiedError: 3, QuotaExceeded: 3,
		BadUserNameOrPassword: 4, BadAuthenticationMethod: 4, NotAuthorized: 5, Banned: 5,
	}
	for rc, c := range want {
		if got := ConnackCodeFor(rc); got != c {
			t.Errorf("ConnackCodeFor(%v) = %v, want %v", rc, got, c)
		}
	}
	if ConnRefusedIdentifier.String() != "Connection Refused, identifier rejected" {
		t.Fatal(ConnRefusedIdentifier.String())
	}
}

func TestTypeString(t *testing.T) {
	if TypeUnsubscribe.String() != "UNSUBSCRIBE" || TypeAuth.String() != "AUTH" || Type(16).String() != "Type(16)" {
		t.Fatal("Type.String")
	}
	if PropTopicAlias.String() != "Topic Alias" {
		t.Fatal("PropID.String")
	}
}

func TestPropertiesHelpers(t *testing.T) {
	var nilp *Properties
	if nilp.Has(PropTopicAlias) || !nilp.IsEmpty() || nilp.Effective() != 0 {
		t.Fatal("nil Properties")
	}
	p := &Properties{}
	p.Set(PropTopicAlias)
	p.UserProperties = []UserProperty{{"a", "b"}}
	if !p.Has(PropTopicAlias) || !p.Has(PropUserProperty) || p.Has(PropSubscriptionIdentifier) || p.IsEmpty() {
		t.Fatal("Has")
	}
	p.Clear(PropTopicAlias)
	if p.Has(PropTopicAlias) {
		t.Fatal("Clear")
	}
}
