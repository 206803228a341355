package packet

import (
	"math/bits"
	"strconv"
)

// PropID is an MQTT 5 property identifier (§2.2.2.2).
type PropID byte

// Property identifiers.
const (
	PropPayloadFormatIndicator          PropID = 0x01
	PropMessageExpiryInterval           PropID = 0x02
	PropContentType                     PropID = 0x03
	PropResponseTopic                   PropID = 0x08
	PropCorrelationData                 PropID = 0x09
	PropSubscriptionIdentifier          PropID = 0x0B
	PropSessionExpiryInterval           PropID = 0x11
	PropAssignedClientIdentifier        PropID = 0x12
	PropServerKeepAlive                 PropID = 0x13
	PropAuthenticationMethod            PropID = 0x15
	PropAuthenticationData              PropID = 0x16
	PropRequestProblemInformation       PropID = 0x17
	PropWillDelayInterval               PropID = 0x18
	PropRequestResponseInformation      PropID = 0x19
	PropResponseInformation             PropID = 0x1A
	PropServerReference                 PropID = 0x1C
	PropReasonString                    PropID = 0x1F
	PropReceiveMaximum                  PropID = 0x21
	PropTopicAliasMaximum               PropID = 0x22
	PropTopicAlias                      PropID = 0x23
	PropMaximumQoS                      PropID = 0x24
	PropRetainAvailable                 PropID = 0x25
	PropUserProperty                    PropID = 0x26
	PropMaximumPacketSize               PropID = 0x27
	PropWildcardSubscriptionAvailable   PropID = 0x28
	PropSubscriptionIdentifierAvailable PropID = 0x29
	PropSharedSubscriptionAvailable     PropID = 0x2A
)

var propNames = [64]string{
	PropPayloadFormatIndicator:          "Payload Format Indicator",
	PropMessageExpiryInterval:           "Message Expiry Interval",
	PropContentType:                     "Content Type",
	PropResponseTopic:                   "Response Topic",
	PropCorrelationData:                 "Correlation Data",
	PropSubscriptionIdentifier:          "Subscription Identifier",
	PropSessionExpiryInterval:           "Session Expiry Interval",
	PropAssignedClientIdentifier:        "Assigned Client Identifier",
	PropServerKeepAlive:                 "Server Keep Alive",
	PropAuthenticationMethod:            "Authentication Method",
	PropAuthenticationData:              "Authentication Data",
	PropRequestProblemInformation:       "Request Problem Information",
	PropWillDelayInterval:               "Will Delay Interval",
	PropRequestResponseInformation:      "Request Response Information",
	PropResponseInformation:             "Response Information",
	PropServerReference:                 "Server Reference",
	PropReasonString:                    "Reason String",
	PropReceiveMaximum:                  "Receive Maximum",
	PropTopicAliasMaximum:               "Topic Alias Maximum",
	PropTopicAlias:                      "Topic Alias",
	PropMaximumQoS:                      "Maximum QoS",
	PropRetainAvailable:                 "Retain Available",
	PropUserProperty:                    "User Property",
	PropMaximumPacketSize:               "Maximum Packet Size",
	PropWildcardSubscriptionAvailable:   "Wildcard Subscription Available",
	PropSubscriptionIdentifierAvailable: "Subscription Identifier Available",
	PropSharedSubscriptionAvailable:     "Shared Subscription Available",
}

// String returns the spec name of the property.
func (id PropID) String() string {
	if id < 64 && propNames[id] != "" {
		return propNames[id]
	}
	return "property 0x" + strconv.FormatUint(uint64(id), 16)
}

// PropMask is a set of property identifiers: bit n is property n.
type PropMask uint64

func bit(id PropID) PropMask { return 1 << (id & 63) }

func maskOf(ids ...PropID) PropMask {
	var m PropMask
	for _, id := range ids {
		m |= bit(id)
	}
	return m
}

// Has reports whether id is in the set.
func (m PropMask) Has(id PropID) bool { return id < 64 && m&bit(id) != 0 }

// UserProperty is one name/value pair of the User Property (0x26).
type UserProperty struct {
	Key, Value string
}

// Properties holds every MQTT 5 property as a typed field. Present records
// which single-valued properties are present (bit n = property id n); the
// repeatable ones (SubscriptionIdentifiers in PUBLISH, UserProperties) are
// present when their slice is non-empty. A nil *Properties means "no
// properties"; the getters are nil-safe.
//
// To set a property assign the field and call Set with its id, e.g.
//
//	p.TopicAlias = 4
//	p.Set(packet.PropTopicAlias)
type Properties struct {
	Present PropMask

	PayloadFormatIndicator          byte
	MessageExpiryInterval           uint32
	ContentType                     string
	ResponseTopic                   string
	CorrelationData                 []byte
	SubscriptionIdentifiers         []uint32
	SessionExpiryInterval           uint32
	AssignedClientIdentifier        string
	ServerKeepAlive                 uint16
	AuthenticationMethod            string
	AuthenticationData              []byte
	RequestProblemInformation       byte
	WillDelayInterval               uint32
	RequestResponseInformation      byte
	ResponseInformation             string
	ServerReference                 string
	ReasonString                    string
	ReceiveMaximum                  uint16
	TopicAliasMaximum               uint16
	TopicAlias                      uint16
	MaximumQoS                      byte
	RetainAvailable                 byte
	UserProperties                  []UserProperty
	MaximumPacketSize               uint32
	WildcardSubscriptionAvailable   byte
	SubscriptionIdentifierAvailable byte
	SharedSubscriptionAvailable     byte
}

// Has reports whether the property is present. It is safe on nil.
func (p *Properties) Has(id PropID) bool {
	if p == nil {
		return false
	}
	switch id {
	case PropUserProperty:
		return len(p.UserProperties) > 0
	case PropSubscriptionIdentifier:
		return len(p.SubscriptionIdentifiers) > 0
	}
	return p.Present.Has(id)
}

// Set marks a single-valued property as present.
func (p *Properties) Set(id PropID) { p.Present |= bit(id) }

// Clear marks a single-valued property as absent.
func (p *Properties) Clear(id PropID) { p.Present &^= bit(id) }

// IsEmpty reports whether no property is present. It is safe on nil.
func (p *Properties) IsEmpty() bool {
	return p == nil || (p.Present&^repeatable == 0 && len(p.UserProperties) == 0 &&
		len(p.SubscriptionIdentifiers) == 0)
}

// Effective returns the set of present properties, including the
// repeatable ones. It is safe on nil.
func (p *Properties) Effective() PropMask {
	if p == nil {
		return 0
	}
	m := p.Present &^ repeatable
	if len(p.UserProperties) > 0 {
		m |= bit(PropUserProperty)
	}
	if len(p.SubscriptionIdentifiers) > 0 {
		m |= bit(PropSubscriptionIdentifier)
	}
	return m
}

const repeatable = PropMask(1<<PropUserProperty | 1<<PropSubscriptionIdentifier)

// propWill is the context index used for Will Properties in allowedProps.
const propWill Type = 0

// allowedProps lists the properties each packet (index = Type, 0 = Will
// Properties) may contain, from the table in §2.2.2.2.
var allowedProps = [16]PropMask{
	propWill: maskOf(PropPayloadFormatIndicator, PropMessageExpiryInterval,
		PropContentType, PropResponseTopic, PropCorrelationData,
		PropWillDelayInterval, PropUserProperty),
	TypeConnect: maskOf(PropSessionExpiryInterval, PropAuthenticationMethod,
		PropAuthenticationData, PropRequestProblemInformation,
		PropRequestResponseInformation, PropReceiveMaximum,
		PropTopicAliasMaximum, PropUserProperty, PropMaximumPacketSize),
	TypeConnack: maskOf(PropSessionExpiryInterval, PropAssignedClientIdentifier,
		PropServerKeepAlive, PropAuthenticationMethod, PropAuthenticationData,
		PropResponseInformation, PropServerReference, PropReasonString,
		PropReceiveMaximum, PropTopicAliasMaximum, PropMaximumQoS,
		PropRetainAvailable, PropUserProperty, PropMaximumPacketSize,
		PropWildcardSubscriptionAvailable, PropSubscriptionIdentifierAvailable,
		PropSharedSubscriptionAvailable),
	TypePublish: maskOf(PropPayloadFormatIndicator, PropMessageExpiryInterval,
		PropContentType, PropResponseTopic, PropCorrelationData,
		PropSubscriptionIdentifier, PropTopicAlias, PropUserProperty),
	TypePuback:      maskOf(PropReasonString, PropUserProperty),
	TypePubrec:      maskOf(PropReasonString, PropUserProperty),
	TypePubrel:      maskOf(PropReasonString, PropUserProperty),
	TypePubcomp:     maskOf(PropReasonString, PropUserProperty),
	TypeSubscribe:   maskOf(PropSubscriptionIdentifier, PropUserProperty),
	TypeSuback:      maskOf(PropReasonString, PropUserProperty),
	TypeUnsubscribe: maskOf(PropUserProperty),
	TypeUnsuback:    maskOf(PropReasonString, PropUserProperty),
	TypeDisconnect: maskOf(PropSessionExpiryInterval, PropServerReference,
		PropReasonString, PropUserProperty),
	TypeAuth: maskOf(PropAuthenticationMethod, PropAuthenticationData,
		PropReasonString, PropUserProperty),
}

// ctxName names a property context for error messages.
func ctxName(ctx Type) string {
	if ctx == propWill {
		return "Will Properties"
	}
	return "properties"
}

// check validates a property set for a context: placement, repetition and
// values. It is used by the decoder after parsing and by the encoder
// before writing, so that what one accepts the other produces.
func (p *Properties) check(ctx Type, pt Type) error {
	if p == nil {
		return nil
	}
	eff := p.Effective()
	// Also catches bits of unknown identifiers, which no context allows.
	if bad := eff &^ allowedProps[ctx]; bad != 0 {
		id := PropID(bits.TrailingZeros64(uint64(bad)))
		return newErr(MalformedPacket, pt, ctxName(ctx)+": "+id.String()+" not valid in "+ctxLabel(ctx, pt)+" (§2.2.2.2)")
	}
	if eff == 0 {
		return nil
	}
	perr := func(id PropID, what string) error {
		return newErr(ProtocolError, pt, ctxName(ctx)+": "+id.String()+" "+what)
	}
	if eff&valueChecked != 0 {
		for _, c := range [...]struct {
			id PropID
			v  byte
		}{
			{PropPayloadFormatIndicator, p.PayloadFormatIndicator},
			{PropRequestProblemInformation, p.RequestProblemInformation},
			{PropRequestResponseInformation, p.RequestResponseInformation},
			{PropMaximumQoS, p.MaximumQoS},
			{PropRetainAvailable, p.RetainAvailable},
			{PropWildcardSubscriptionAvailable, p.WildcardSubscriptionAvailable},
			{PropSubscriptionIdentifierAvailable, p.SubscriptionIdentifierAvailable},
			{PropSharedSubscriptionAvailable, p.SharedSubscriptionAvailable},
		} {
			if c.v > 1 && eff.Has(c.id) {
				return perr(c.id, "must be 0 or 1")
			}
		}
		if eff.Has(PropReceiveMaximum) && p.ReceiveMaximum == 0 {
			return perr(PropReceiveMaximum, "must not be 0 (§3.1.2.11.3, §3.2.2.3.3)")
		}
		if eff.Has(PropMaximumPacketSize) && p.MaximumPacketSize == 0 {
			return perr(PropMaximumPacketSize, "must not be 0 (§3.1.2.11.4, §3.2.2.3.6)")
		}
		if eff.Has(PropTopicAlias) && p.TopicAlias == 0 {
			// The receiver answers with DISCONNECT 0x94 [MQTT-3.3.2-8].
			return newErr(TopicAliasInvalid, pt, ctxName(ctx)+": "+PropTopicAlias.String()+" must not be 0 [MQTT-3.3.2-8]")
		}
		if eff.Has(PropAuthenticationData) && !eff.Has(PropAuthenticationMethod) {
			return perr(PropAuthenticationData, "without Authentication Method (§3.1.2.11.10)")
		}
	}
	if len(p.SubscriptionIdentifiers) > 1 && ctx != TypePublish {
		return perr(PropSubscriptionIdentifier, "included more than once (§3.8.2.1.2)")
	}
	for _, id := range p.SubscriptionIdentifiers {
		if id == 0 || id > MaxVarInt {
			return perr(PropSubscriptionIdentifier, "must be 1 to 268,435,455 (§3.8.2.1.2)")
		}
	}
	if eff&lengthChecked != 0 {
		for _, f := range p.sizedFields() {
			if f.n > MaxStringLen && eff.Has(f.id) {
				return newErr(MalformedPacket, pt, ctxName(ctx)+": "+f.id.String()+" longer than 65535 bytes")
			}
		}
	}
	for _, u := range p.UserProperties {
		if len(u.Key) > MaxStringLen || len(u.Value) > MaxStringLen {
			return newErr(MalformedPacket, pt, ctxName(ctx)+": User Property longer than 65535 bytes")
		}
	}
	return nil
}

var knownIDs = []PropID{
	PropPayloadFormatIndicator, PropMessageExpiryInterval, PropContentType,
	PropResponseTopic, PropCorrelationData, PropSubscriptionIdentifier,
	PropSessionExpiryInterval, PropAssignedClientIdentifier, PropServerKeepAlive,
	PropAuthenticationMethod, PropAuthenticationData, PropRequestProblemInformation,
	PropWillDelayInterval, PropRequestResponseInformation, PropResponseInformation,
	PropServerReference, PropReasonString, PropReceiveMaximum,
	PropTopicAliasMaximum, PropTopicAlias, PropMaximumQoS, PropRetainAvailable,
	PropUserProperty, PropMaximumPacketSize, PropWildcardSubscriptionAvailable,
	PropSubscriptionIdentifierAvailable, PropSharedSubscriptionAvailable,
}

var knownMask = maskOf(knownIDs...)

// valueChecked are the properties whose values check validates;
// lengthChecked are the string and binary ones.
var (
	valueChecked = maskOf(PropPayloadFormatIndicator, PropRequestProblemInformation,
		PropRequestResponseInformation, PropMaximumQoS, PropRetainAvailable,
		PropWildcardSubscriptionAvailable, PropSubscriptionIdentifierAvailable,
		PropSharedSubscriptionAvailable, PropReceiveMaximum, PropMaximumPacketSize,
		PropTopicAlias, PropAuthenticationData)
	lengthChecked = maskOf(PropContentType, PropResponseTopic, PropAssignedClientIdentifier,
		PropAuthenticationMethod, PropResponseInformation, PropServerReference,
		PropReasonString, PropCorrelationData, PropAuthenticationData)
)

func ctxLabel(ctx, pt Type) string {
	if ctx == propWill {
		return "Will Properties"
	}
	return pt.String()
}

// sizedField is a string or binary property and its length in bytes.
type sizedField struct {
	id PropID
	n  int
}

// sizedFields lists the single-valued string and binary properties with
// their lengths: what both the size computation and the 65,535-byte check
// walk over (user properties and subscription identifiers repeat and are
// handled apart).
func (p *Properties) sizedFields() [9]sizedField {
	return [...]sizedField{
		{PropContentType, len(p.ContentType)},
		{PropResponseTopic, len(p.ResponseTopic)},
		{PropAssignedClientIdentifier, len(p.AssignedClientIdentifier)},
		{PropAuthenticationMethod, len(p.AuthenticationMethod)},
		{PropResponseInformation, len(p.ResponseInformation)},
		{PropServerReference, len(p.ServerReference)},
		{PropReasonString, len(p.ReasonString)},
		{PropCorrelationData, len(p.CorrelationData)},
		{PropAuthenticationData, len(p.AuthenticationData)},
	}
}
