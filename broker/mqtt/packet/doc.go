// Package packet encodes and decodes MQTT control packets for MQTT 3.1
// (protocol level 3, protocol name "MQIsdp"), MQTT 3.1.1 (level 4) and
// MQTT 5.0 (level 5).
//
// Decoding is done by a [Reader], which frames packets from a byte stream,
// enforces a maximum packet size before the body is read, and validates
// every packet against the normative statements of the OASIS standards
// that a codec can check (reserved flag bits, UTF-8 rules, property
// placement, duplicated properties, value ranges, ...). Spec clauses are
// referenced in comments and error messages as [MQTT-x.y.z-n]; unless
// stated otherwise the number is the one of the MQTT 5.0 standard, and
// "3.1.1:" marks a number of the MQTT 3.1.1 standard.
//
// Decode errors are *[Error] values that carry a [ReasonCode] (for
// instance [MalformedPacket] or [ProtocolError]) and a message naming the
// packet and the field, so that
//
//	errors.Is(err, packet.MalformedPacket)
//
// works and a server can answer an MQTT 5 client with the right DISCONNECT
// reason code. I/O failures are returned unchanged (io.EOF at a packet
// boundary, io.ErrUnexpectedEOF inside a packet).
//
// Encoding is done by [Append] (any packet) and [AppendPublish] (a PUBLISH
// built straight from its fields, for fan-out of one stored message to many
// subscribers). Both append to a caller supplied slice and do not allocate
// when it has enough capacity. Encoding for protocol levels 3 and 4 drops
// what those versions cannot carry (properties, most reason codes).
//
// MQTT 5 properties are held in a [Properties] value referenced by pointer
// from each packet; nil means "no properties", so packets without
// properties (all of MQTT 3) cost no extra allocation.
//
// The codec does not decide policy: wildcards in a PUBLISH topic, topic
// filter syntax in SUBSCRIBE, client identifier rules, Topic Alias ranges,
// a Subscription Identifier in a client's PUBLISH [MQTT-3.3.4-6], UTF-8
// payloads with Payload Format Indicator 1, the Session Expiry Interval
// rules of DISCONNECT and the like are left to the broker, which can use
// [ValidTopicName], [ValidTopicFilter] and [ParseShared].
package packet
