package network

import "strings"

// The wire contract of a Hashi bridge (docs/network-protocol.md explains it
// in full). A bridge is a STOMP 1.2 connection to the remote broker's STOMP
// or auto-detecting listener. The initiator sends client frames (SEND, ACK,
// SUBSCRIBE); the responder answers with server frames (MESSAGE, RECEIPT).
// Both ends run the same engine: each announces its consumer demand and
// forwards messages that match the other's demand.
const (
	// ProtocolVersion 2 added hashi-resent and acknowledgements in batches
	// (hashi-acks); 3 carries forwarded messages as binary records, many
	// per frame (record.go).
	ProtocolVersion = "3"

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
	hRefused   = "hashi-refused"   // on ERROR: why, when retrying cannot help
	hMaxFrame  = "hashi-max-frame" // on CONNECTED: the largest frame the responder reads

	refusedSelf = "self" // the CONNECT came from the broker itself

	// Control channel.
	controlSub  = "hashi.control"               // the initiator's subscription id for responder frames
	controlDest = "/topic/hashi.bridge.control" // what it subscribes to
	demandDest  = "/topic/hashi.bridge.demand"  // demand announcements
	pingDest    = "/topic/hashi.bridge.ping"    // round-trip probes

	// Demand headers.
	hOp   = "hashi-op"   // add | remove | sync (a full list follows) | synced
	hDest = "hashi-dest" // qualified destination, e.g. topic://devices.>
	hDID  = "hashi-demand-id"
	hPath = "hashi-path" // comma-separated broker ids

	// Acknowledgement headers (messages themselves travel as records).
	hSeq    = "hashi-seq"    // on the responder's ping: the id to acknowledge
	hDenied = "hashi-denied" // on RECEIPT/ACK: refused by the receiver's authorization
	hAcks   = "hashi-acks"   // on RECEIPT/ACK: further sequence numbers acknowledged (acks.go)
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
