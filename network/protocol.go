package network

import (
	"strconv"
	"strings"

	"github.com/go-stomp/stomp/v3/frame"

	"github.com/hashi-broker/hashi/broker"
	"github.com/hashi-broker/hashi/broker/dest"
	wire "github.com/hashi-broker/hashi/broker/stomp/frame"
)

// The wire contract of a Hashi bridge (docs/network-protocol.md explains it
// in full). A bridge is a STOMP 1.2 connection to the remote broker's STOMP
// or auto-detecting listener. The initiator sends client frames (SEND, ACK,
// SUBSCRIBE); the responder answers with server frames (MESSAGE, RECEIPT).
// Both ends run the same engine: each announces its consumer demand and
// forwards messages that match the other's demand.
const (
	ProtocolVersion = "2" // 2: hashi-resent, acknowledgements in batches (hashi-acks)

	// CONNECT / CONNECTED headers.
	hBridge    = "hashi-bridge"    // protocol version; marks a bridge CONNECT
	hBroker    = "hashi-broker"    // brokerName
	hBrokerID  = "hashi-broker-id" // unique broker id (loop detection)
	hConnector = "hashi-connector" // networkConnector name
	hDuplex    = "hashi-duplex"
	hMsgTTL    = "hashi-message-ttl"
	hConsTTL   = "hashi-consumer-ttl"
	hConduit   = "hashi-conduit"
	hPrefetch  = "hashi-prefetch"
	hDecPrio   = "hashi-decrease-priority"
	hTemps     = "hashi-bridge-temps"
	hStatic    = "hashi-static-bridge"
	hExcluded  = "hashi-excluded"
	hDynamic   = "hashi-dynamic-include"
	hStaticInc = "hashi-static-include"
	hGrace     = "hashi-demand-grace"
	hReplay    = "hashi-replay"
	hRefused   = "hashi-refused" // on ERROR: why, when retrying cannot help

	refusedSelf = "self" // the CONNECT came from the broker itself

	// Control channel.
	controlSub  = "hashi.control"                // the initiator's subscription id for responder frames
	controlDest = "/topic/hashi.bridge.control"  // what it subscribes to
	demandDest  = "/topic/hashi.bridge.demand"   // demand announcements
	pingDest    = "/topic/hashi.bridge.ping"     // round-trip probes
	retainDest  = "/topic/hashi.bridge.retained" // (unused: retained sync rides on normal messages)

	// Demand headers.
	hOp   = "hashi-op"   // add | remove | sync (a full list follows) | synced
	hDest = "hashi-dest" // qualified destination, e.g. topic://devices.>
	hDID  = "hashi-demand-id"
	hPath = "hashi-path" // comma-separated broker ids

	// Message headers.
	hSeq      = "hashi-seq"      // reliable messages: sender's sequence, acknowledged by RECEIPT/ACK
	hQoS      = "hashi-qos"      // MQTT QoS as published
	hRetain   = "hashi-retain"   // retained publish
	hSync     = "hashi-sync"     // retained value replayed on link start: store, do not deliver
	hResent   = "hashi-resent"   // reliable message sent before on an earlier link: the receiver checks for a duplicate
	hUTF8     = "hashi-utf8"     // MQTT payload format indicator
	hReplyTo  = "hashi-reply-to" // qualified reply destination
	hUser     = "hashi-u-"       // prefix of user properties / custom headers
	hDenied   = "hashi-denied"   // on RECEIPT/ACK: refused by the receiver's authorization
	hAcks     = "hashi-acks"     // on RECEIPT/ACK: further sequence numbers acknowledged (acks.go)
	hPingTime = "hashi-ping"
)

// path header values.
func joinPath(p []string) string { return strings.Join(p, ",") }

func splitPath(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

func contains(path []string, id string) bool {
	for _, p := range path {
		if p == id {
			return true
		}
	}
	return false
}

// appendMessage appends m's headers and body to a frame being built for the
// link. origin is this broker's id, which names a message that entered the
// network here ("ID:<origin>-<seq>", written without building the string);
// path is the broker path before this broker; self is appended to it.
// Nothing is allocated beyond the buffer.
func appendMessage(b wire.Builder, m *broker.Message, origin string, path []string, self string) []byte {
	b = b.Header(frame.Destination, m.Dest.STOMP())
	if m.Props != nil && m.Props.MessageID != "" {
		b = b.Header(frame.MessageId, m.Props.MessageID)
	} else {
		b = b.HeaderID(frame.MessageId, origin, m.Seq)
	}
	b = b.PathHeader(hPath, path, self)
	if m.Persistent {
		b = b.Header("persistent", "true")
	}
	if m.QoS > 0 {
		b = b.HeaderInt(hQoS, int64(m.QoS))
	}
	if m.Retain {
		b = b.Header(hRetain, "true")
	}
	b = b.HeaderInt("priority", int64(m.Priority)).HeaderInt("timestamp", m.Timestamp)
	if m.Expiry != 0 {
		b = b.HeaderInt("expires", m.Expiry)
	}
	if p := m.Props; p != nil {
		if p.ContentType != "" {
			b = b.Header(frame.ContentType, p.ContentType)
		}
		if p.CorrelationData != nil {
			b = b.Header("correlation-id", string(p.CorrelationData))
		}
		if p.ReplyTo.Name != "" {
			b = b.Header(hReplyTo, p.ReplyTo.String())
		}
		if p.PayloadUTF8 {
			b = b.Header(hUTF8, "true")
		}
		for _, kv := range p.User {
			b = b.Header(hUser+kv.Key, kv.Value)
		}
	}
	return b.End(m.Payload, true)
}

// decodeMessage builds a broker message from a forwarded frame.
func decodeMessage(f *frame.Frame) (*broker.Message, error) {
	m, _, err := decodeForward(f)
	return m, err
}

// forwardHeaders are the link's own headers on a forwarded message.
type forwardHeaders struct {
	seq          string // hashi-seq: acknowledge with it
	sync, resent bool   // hashi-sync, hashi-resent
}

// decodeForward reads a forwarded message and the link's headers in one
// pass over the headers (a frame carries a dozen; looking each one up
// scanned them all, a fifth of a bridge receiver's time). As with
// Header.Get, the first occurrence of a repeated header counts.
func decodeForward(f *frame.Frame) (*broker.Message, forwardHeaders, error) {
	var (
		fh                                   forwardHeaders
		dst, path, qos, prio, ts, exp, reply string
		seen                                 uint32
	)
	// A forwarded message always has properties (its id): one allocation
	// for both.
	mp := &struct {
		m broker.Message
		p broker.Props
	}{m: broker.Message{Payload: f.Body, Priority: 4}}
	m, props := &mp.m, &mp.p
	first := func(bit uint32) bool {
		if seen&bit != 0 {
			return false
		}
		seen |= bit
		return true
	}
	for i := 0; i < f.Header.Len(); i++ {
		k, v := f.Header.GetAt(i)
		switch k {
		case frame.Destination:
			if first(1 << 0) {
				dst = v
			}
		case "persistent":
			if first(1 << 1) {
				m.Persistent = v == "true"
			}
		case hRetain:
			if first(1 << 2) {
				m.Retain = v == "true"
			}
		case hPath:
			if first(1 << 3) {
				path = v
			}
		case hQoS:
			if first(1 << 4) {
				qos = v
			}
		case "priority":
			if first(1 << 5) {
				prio = v
			}
		case "timestamp":
			if first(1 << 6) {
				ts = v
			}
		case "expires":
			if first(1 << 7) {
				exp = v
			}
		case frame.ContentType:
			if first(1 << 8) {
				props.ContentType = v
			}
		case frame.MessageId:
			if first(1 << 9) {
				props.MessageID = v
			}
		case hUTF8:
			if first(1 << 10) {
				props.PayloadUTF8 = v == "true"
			}
		case "correlation-id":
			if first(1 << 11) {
				props.CorrelationData = []byte(v)
			}
		case hReplyTo:
			if first(1 << 12) {
				reply = v
			}
		case hSeq:
			if first(1 << 13) {
				fh.seq = v
			}
		case hSync:
			if first(1 << 14) {
				fh.sync = v == "true"
			}
		case hResent:
			if first(1 << 15) {
				fh.resent = v == "true"
			}
		default:
			if u, ok := strings.CutPrefix(k, hUser); ok {
				props.User = append(props.User, broker.KV{Key: u, Value: v})
			}
		}
	}
	d, err := dest.FromSTOMP(dst)
	if err != nil {
		return nil, fh, err
	}
	m.Dest = d
	m.BrokerPath = splitPath(path)
	if q, err := strconv.Atoi(qos); err == nil && q >= 0 && q <= 2 {
		m.QoS = byte(q)
	}
	if p, err := strconv.Atoi(prio); err == nil && p >= 0 && p <= 9 {
		m.Priority = uint8(p)
	}
	m.Timestamp, _ = strconv.ParseInt(ts, 10, 64)
	m.Expiry, _ = strconv.ParseInt(exp, 10, 64)
	if reply != "" {
		if rt, err := dest.Parse(reply, dest.Topic); err == nil {
			props.ReplyTo = rt
		}
	}
	m.Props = props
	return m, fh, nil
}
