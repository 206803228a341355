package packet

import (
	"errors"
	"strconv"
)

// ReasonCode is an MQTT 5.0 reason code (§2.4). It implements error, so a
// decode error can be matched with errors.Is(err, MalformedPacket) or
// extracted with errors.As / [CodeOf]. Note that Success is a non-nil error
// value when stored in an error variable; only return codes >= 0x80 as
// errors.
type ReasonCode byte

// MQTT 5.0 reason codes.
const (
	Success                             ReasonCode = 0x00
	NormalDisconnection                 ReasonCode = 0x00
	GrantedQoS0                         ReasonCode = 0x00
	GrantedQoS1                         ReasonCode = 0x01
	GrantedQoS2                         ReasonCode = 0x02
	DisconnectWithWill                  ReasonCode = 0x04
	NoMatchingSubscribers               ReasonCode = 0x10
	NoSubscriptionExisted               ReasonCode = 0x11
	ContinueAuthentication              ReasonCode = 0x18
	ReAuthenticate                      ReasonCode = 0x19
	UnspecifiedError                    ReasonCode = 0x80
	MalformedPacket                     ReasonCode = 0x81
	ProtocolError                       ReasonCode = 0x82
	ImplementationSpecificError         ReasonCode = 0x83
	UnsupportedProtocolVersion          ReasonCode = 0x84
	ClientIdentifierNotValid            ReasonCode = 0x85
	BadUserNameOrPassword               ReasonCode = 0x86
	NotAuthorized                       ReasonCode = 0x87
	ServerUnavailable                   ReasonCode = 0x88
	ServerBusy                          ReasonCode = 0x89
	Banned                              ReasonCode = 0x8A
	ServerShuttingDown                  ReasonCode = 0x8B
	BadAuthenticationMethod             ReasonCode = 0x8C
	KeepAliveTimeout                    ReasonCode = 0x8D
	SessionTakenOver                    ReasonCode = 0x8E
	TopicFilterInvalid                  ReasonCode = 0x8F
	TopicNameInvalid                    ReasonCode = 0x90
	PacketIdentifierInUse               ReasonCode = 0x91
	PacketIdentifierNotFound            ReasonCode = 0x92
	ReceiveMaximumExceeded              ReasonCode = 0x93
	TopicAliasInvalid                   ReasonCode = 0x94
	PacketTooLarge                      ReasonCode = 0x95
	MessageRateTooHigh                  ReasonCode = 0x96
	QuotaExceeded                       ReasonCode = 0x97
	AdministrativeAction                ReasonCode = 0x98
	PayloadFormatInvalid                ReasonCode = 0x99
	RetainNotSupported                  ReasonCode = 0x9A
	QoSNotSupported                     ReasonCode = 0x9B
	UseAnotherServer                    ReasonCode = 0x9C
	ServerMoved                         ReasonCode = 0x9D
	SharedSubscriptionsNotSupported     ReasonCode = 0x9E
	ConnectionRateExceeded              ReasonCode = 0x9F
	MaximumConnectTime                  ReasonCode = 0xA0
	SubscriptionIdentifiersNotSupported ReasonCode = 0xA1
	WildcardSubscriptionsNotSupported   ReasonCode = 0xA2
)

var reasonNames = map[ReasonCode]string{
	Success:                             "Success",
	GrantedQoS1:                         "Granted QoS 1",
	GrantedQoS2:                         "Granted QoS 2",
	DisconnectWithWill:                  "Disconnect with Will Message",
	NoMatchingSubscribers:               "No matching subscribers",
	NoSubscriptionExisted:               "No subscription existed",
	ContinueAuthentication:              "Continue authentication",
	ReAuthenticate:                      "Re-authenticate",
	UnspecifiedError:                    "Unspecified error",
	MalformedPacket:                     "Malformed Packet",
	ProtocolError:                       "Protocol Error",
	ImplementationSpecificError:         "Implementation specific error",
	UnsupportedProtocolVersion:          "Unsupported Protocol Version",
	ClientIdentifierNotValid:            "Client Identifier not valid",
	BadUserNameOrPassword:               "Bad User Name or Password",
	NotAuthorized:                       "Not authorized",
	ServerUnavailable:                   "Server unavailable",
	ServerBusy:                          "Server busy",
	Banned:                              "Banned",
	ServerShuttingDown:                  "Server shutting down",
	BadAuthenticationMethod:             "Bad authentication method",
	KeepAliveTimeout:                    "Keep Alive timeout",
	SessionTakenOver:                    "Session taken over",
	TopicFilterInvalid:                  "Topic Filter invalid",
	TopicNameInvalid:                    "Topic Name invalid",
	PacketIdentifierInUse:               "Packet Identifier in use",
	PacketIdentifierNotFound:            "Packet Identifier not found",
	ReceiveMaximumExceeded:              "Receive Maximum exceeded",
	TopicAliasInvalid:                   "Topic Alias invalid",
	PacketTooLarge:                      "Packet too large",
	MessageRateTooHigh:                  "Message rate too high",
	QuotaExceeded:                       "Quota exceeded",
	AdministrativeAction:                "Administrative action",
	PayloadFormatInvalid:                "Payload format invalid",
	RetainNotSupported:                  "Retain not supported",
	QoSNotSupported:                     "QoS not supported",
	UseAnotherServer:                    "Use another server",
	ServerMoved:                         "Server moved",
	SharedSubscriptionsNotSupported:     "Shared Subscriptions not supported",
	ConnectionRateExceeded:              "Connection rate exceeded",
	MaximumConnectTime:                  "Maximum connect time",
	SubscriptionIdentifiersNotSupported: "Subscription Identifiers not supported",
	WildcardSubscriptionsNotSupported:   "Wildcard Subscriptions not supported",
}

// String returns the name the MQTT 5.0 standard gives the code (for 0x00
// the generic "Success").
func (c ReasonCode) String() string {
	if s, ok := reasonNames[c]; ok {
		return s
	}
	return "Reason code 0x" + strconv.FormatUint(uint64(c), 16)
}

// Error implements error.
func (c ReasonCode) Error() string { return "mqtt: " + c.String() }

// IsError reports whether the code indicates failure (>= 0x80).
func (c ReasonCode) IsError() bool { return c >= 0x80 }

// Error is a decode or encode error with a reason code and context. It
// unwraps to its Code, so errors.Is(err, MalformedPacket) and
// errors.As(err, &code) both work.
type Error struct {
	Code   ReasonCode
	Packet Type   // packet being decoded/encoded, 0 if unknown
	Msg    string // which field and what is wrong, with the spec clause
}

func (e *Error) Error() string {
	s := "mqtt: "
	if e.Packet != 0 {
		s += e.Packet.String() + ": "
	}
	return s + e.Msg + " (" + e.Code.String() + ")"
}

// Unwrap returns the reason code.
func (e *Error) Unwrap() error { return e.Code }

// Is reports whether target is an *Error with the same code (the Code
// itself is matched through Unwrap).
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code
}

func newErr(code ReasonCode, t Type, msg string) *Error {
	return &Error{Code: code, Packet: t, Msg: msg}
}

// CodeOf returns the reason code carried by err, if any.
func CodeOf(err error) (ReasonCode, bool) {
	var c ReasonCode
	if errors.As(err, &c) {
		return c, true
	}
	return 0, false
}

// ConnackCode is an MQTT 3.1 / 3.1.1 CONNACK return code (3.1.1 §3.2.2.3).
type ConnackCode byte

// MQTT 3.1.1 CONNACK return codes.
const (
	ConnAccepted               ConnackCode = 0
	ConnRefusedProtocolVersion ConnackCode = 1
	ConnRefusedIdentifier      ConnackCode = 2
	ConnRefusedServerUnavail   ConnackCode = 3
	ConnRefusedBadUserOrPass   ConnackCode = 4
	ConnRefusedNotAuthorized   ConnackCode = 5

	maxConnackCode = ConnRefusedNotAuthorized
)

var connackNames = [maxConnackCode + 1]string{
	"Connection Accepted",
	"Connection Refused, unacceptable protocol version",
	"Connection Refused, identifier rejected",
	"Connection Refused, Server unavailable",
	"Connection Refused, bad user name or password",
	"Connection Refused, not authorized",
}

// String returns the 3.1.1 wording.
func (c ConnackCode) String() string {
	if c <= maxConnackCode {
		return connackNames[c]
	}
	return "Connack return code " + strconv.Itoa(int(c))
}

// ReasonCode returns the MQTT 5 reason code with the same meaning. Codes
// 0-5 map one to one; reserved codes map to UnspecifiedError.
func (c ConnackCode) ReasonCode() ReasonCode {
	switch c {
	case ConnAccepted:
		return Success
	case ConnRefusedProtocolVersion:
		return UnsupportedProtocolVersion
	case ConnRefusedIdentifier:
		return ClientIdentifierNotValid
	case ConnRefusedServerUnavail:
		return ServerUnavailable
	case ConnRefusedBadUserOrPass:
		return BadUserNameOrPassword
	case ConnRefusedNotAuthorized:
		return NotAuthorized
	}
	return UnspecifiedError
}

// ConnackCodeFor maps an MQTT 5 CONNACK reason code to the nearest MQTT
// 3.1.1 return code. Codes with no closer equivalent map to
// ConnRefusedServerUnavail.
func ConnackCodeFor(rc ReasonCode) ConnackCode {
	switch rc {
	case Success:
		return ConnAccepted
	case UnsupportedProtocolVersion:
		return ConnRefusedProtocolVersion
	case ClientIdentifierNotValid:
		return ConnRefusedIdentifier
	case BadUserNameOrPassword, BadAuthenticationMethod:
		return ConnRefusedBadUserOrPass
	case NotAuthorized, Banned:
		return ConnRefusedNotAuthorized
	}
	return ConnRefusedServerUnavail
}

// codeSet is a 256-bit set of reason codes.
type codeSet [4]uint64

func makeCodeSet(codes ...ReasonCode) codeSet {
	var s codeSet
	for _, c := range codes {
		s[c>>6] |= 1 << (c & 63)
	}
	return s
}

func (s *codeSet) has(c ReasonCode) bool { return s[c>>6]&(1<<(c&63)) != 0 }

// Reason codes each MQTT 5 packet may carry (§2.4 and the packet sections).
var (
	connackCodes = makeCodeSet(Success, UnspecifiedError, MalformedPacket,
		ProtocolError, ImplementationSpecificError, UnsupportedProtocolVersion,
		ClientIdentifierNotValid, BadUserNameOrPassword, NotAuthorized,
		ServerUnavailable, ServerBusy, Banned, BadAuthenticationMethod,
		TopicNameInvalid, PacketTooLarge, QuotaExceeded, PayloadFormatInvalid,
		RetainNotSupported, QoSNotSupported, UseAnotherServer, ServerMoved,
		ConnectionRateExceeded)
	pubackCodes = makeCodeSet(Success, NoMatchingSubscribers, UnspecifiedError,
		ImplementationSpecificError, NotAuthorized, TopicNameInvalid,
		PacketIdentifierInUse, QuotaExceeded, PayloadFormatInvalid)
	pubrelCodes = makeCodeSet(Success, PacketIdentifierNotFound)
	subackCodes = makeCodeSet(GrantedQoS0, GrantedQoS1, GrantedQoS2,
		UnspecifiedError, ImplementationSpecificError, NotAuthorized,
		TopicFilterInvalid, PacketIdentifierInUse, QuotaExceeded,
		SharedSubscriptionsNotSupported, SubscriptionIdentifiersNotSupported,
		WildcardSubscriptionsNotSupported)
	unsubackCodes = makeCodeSet(Success, NoSubscriptionExisted,
		UnspecifiedError, ImplementationSpecificError, NotAuthorized,
		TopicFilterInvalid, PacketIdentifierInUse)
	disconnectCodes = makeCodeSet(NormalDisconnection, DisconnectWithWill,
		UnspecifiedError, MalformedPacket, ProtocolError,
		ImplementationSpecificError, NotAuthorized, ServerBusy,
		ServerShuttingDown, KeepAliveTimeout, SessionTakenOver,
		TopicFilterInvalid, TopicNameInvalid, ReceiveMaximumExceeded,
		TopicAliasInvalid, PacketTooLarge, MessageRateTooHigh, QuotaExceeded,
		AdministrativeAction, PayloadFormatInvalid, RetainNotSupported,
		QoSNotSupported, UseAnotherServer, ServerMoved,
		SharedSubscriptionsNotSupported, ConnectionRateExceeded,
		MaximumConnectTime, SubscriptionIdentifiersNotSupported,
		WildcardSubscriptionsNotSupported)
	authCodes = makeCodeSet(Success, ContinueAuthentication, ReAuthenticate)
	// MQTT 3.1.1 SUBACK return codes [3.1.1: MQTT-3.9.3-2].
	subackCodesV3 = makeCodeSet(0x00, 0x01, 0x02, 0x80)
)

// ValidFor reports whether an MQTT 5 packet of type t may carry the code.
func (c ReasonCode) ValidFor(t Type) bool {
	switch t {
	case TypeConnack:
		return connackCodes.has(c)
	case TypePuback, TypePubrec:
		return pubackCodes.has(c)
	case TypePubrel, TypePubcomp:
		return pubrelCodes.has(c)
	case TypeSuback:
		return subackCodes.has(c)
	case TypeUnsuback:
		return unsubackCodes.has(c)
	case TypeDisconnect:
		return disconnectCodes.has(c)
	case TypeAuth:
		return authCodes.has(c)
	}
	return false
}
