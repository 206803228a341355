package network

import (
	"testing"

	"github.com/go-stomp/stomp/v3/frame"

	"github.com/hashi-broker/hashi/broker"
	"github.com/hashi-broker/hashi/broker/dest"
)

func ds(names ...string) []dest.Destination {
	out := make([]dest.Destination, len(names))
	for i, n := range names {
		d, err := dest.Parse(n, dest.Queue)
		if err != nil {
			panic(err)
		}
		out[i] = d
	}
	return out
}

// [AMQ §5.3] DemandForwardingBridgeSupport.isPermissableDestination.
func TestNetworkPermittedPrecedence(t *testing.T) {
	tmpQ := dest.Destination{Kind: dest.TempQueue, Name: "ID:x-1"}
	tmpT := dest.Destination{Kind: dest.TempTopic, Name: "ID:x-2"}
	cases := []struct {
		name string
		r    rules
		d    dest.Destination
		want bool
	}{
		{"no lists: everything", rules{}, dest.Q("orders"), true},
		{"no lists: topics too", rules{}, dest.T("devices.1.state"), true},
		{"empty dynamic list = everything", rules{excluded: ds("queue://other")}, dest.Q("orders"), true},
		{"excluded denies", rules{excluded: ds("queue://orders.>")}, dest.Q("orders.eu"), false},
		{"excluded beats static include", rules{excluded: ds("queue://orders.>"), static: ds("queue://orders.eu")}, dest.Q("orders.eu"), false},
		{"excluded beats dynamic include", rules{excluded: ds("queue://orders.secret"), dynamic: ds("queue://orders.>")}, dest.Q("orders.secret"), false},
		{"excluded covers wildcard demand", rules{excluded: ds("topic://>")}, dest.T("devices.>"), false},
		{"exclusion is per kind", rules{excluded: ds("queue://orders")}, dest.T("orders"), true},
		{"static include allows outside dynamic list", rules{dynamic: ds("queue://billing.>"), static: ds("queue://audit")}, dest.Q("audit"), true},
		{"dynamic list: match allows", rules{dynamic: ds("topic://devices.>")}, dest.T("devices.7.state"), true},
		{"dynamic list: no match denies", rules{dynamic: ds("topic://devices.>")}, dest.T("alarms.7"), false},
		{"dynamic list is per kind", rules{dynamic: ds("topic://devices.>")}, dest.Q("devices.7"), false},
		{"dynamic list covers narrower wildcard demand", rules{dynamic: ds("topic://devices.>")}, dest.T("devices.*.state"), true},
		{"temp queue follows bridgeTempDestinations=true", rules{bridgeTemps: true, excluded: ds("temp-queue://>")}, tmpQ, true},
		{"temp topic follows bridgeTempDestinations=false", rules{bridgeTemps: false}, tmpT, false},
		{"temp skips a non-matching dynamic list", rules{bridgeTemps: true, dynamic: ds("queue://orders")}, tmpQ, true},
		{"advisory topics never cross", rules{}, dest.T("ActiveMQ.Advisory.Consumer.Queue.orders"), false},
		{"bridge control never crosses", rules{}, dest.T("hashi.bridge.demand"), false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := c.r.permitted(c.d); got != c.want {
				t.Fatalf("permitted(%s) = %v, want %v", c.d, got, c.want)
			}
		})
	}
}

// [AMQ §5.5] consumer demand: ignored when the path holds the receiving
// broker or its length reaches consumerTTL.
func TestNetworkAcceptDemand(t *testing.T) {
	cases := []struct {
		ttl  int
		path []string
		want bool
	}{
		{1, nil, true},                 // consumer on the neighbour
		{1, []string{"C"}, false},      // the neighbour's own network demand
		{2, []string{"C"}, true},       // two hops allowed
		{2, []string{"C", "D"}, false}, // three is too far
		{-1, []string{"C", "D", "E", "F"}, true},
		{-1, []string{"C", "self", "E"}, false}, // a loop, whatever the TTL
		{5, []string{"self"}, false},
	}
	for _, c := range cases {
		r := rules{consumerTTL: c.ttl}
		if got := r.acceptDemand(c.path, "self"); got != c.want {
			t.Errorf("consumerTTL=%d path=%v: acceptDemand = %v, want %v", c.ttl, c.path, got, c.want)
		}
	}
}

// [AMQ §5.5] messages: never to a broker on their path; hops < messageTTL.
func TestNetworkForwardable(t *testing.T) {
	cases := []struct {
		ttl  int
		path []string
		peer string
		want bool
	}{
		{1, nil, "B", true},                // produced here: 0 hops
		{1, []string{"A"}, "B", false},     // came from A: one hop already
		{1, []string{"B"}, "B", false},     // back where it came from
		{3, []string{"A", "C"}, "B", true}, // 2 hops < 3
		{3, []string{"A", "B"}, "C", true},
		{3, []string{"A", "B"}, "A", false}, // loop
		{2, []string{"A", "C"}, "B", false},
		{-1, []string{"A", "C", "D", "E"}, "B", true},
		{-1, []string{"A", "C", "B", "E"}, "B", false},
	}
	for _, c := range cases {
		r := rules{messageTTL: c.ttl}
		m := &broker.Message{Dest: dest.T("x"), BrokerPath: c.path}
		if got := r.forwardable(m, c.peer); got != c.want {
			t.Errorf("messageTTL=%d path=%v peer=%s: forwardable = %v, want %v", c.ttl, c.path, c.peer, got, c.want)
		}
	}
}

// [AMQ §5.2] decreaseNetworkConsumerPriority: -5 for the adjacent broker,
// -5-(n+1) farther away, 0 when off.
func TestNetworkPriority(t *testing.T) {
	on, off := rules{decreasePrio: true}, rules{}
	for n, want := range map[int]int{1: -5, 2: -8, 3: -9} {
		if got := on.priority(n); got != want {
			t.Errorf("priority(%d) = %d, want %d", n, got, want)
		}
	}
	if off.priority(1) != 0 || off.priority(4) != 0 {
		t.Errorf("decreaseNetworkConsumerPriority=false must keep priority 0")
	}
}

func TestNetworkRulesFromHeadersRoundTrip(t *testing.T) {
	in := rules{messageTTL: 3, consumerTTL: 2, conduit: false, prefetch: 17, decreasePrio: true, bridgeTemps: false,
		excluded: ds("queue://secret.>", "topic://internal"), dynamic: ds("topic://devices.>"), static: ds("queue://audit")}
	f := connectFrameFor(in)
	out := rulesFromHeaders(f)
	if out.messageTTL != 3 || out.consumerTTL != 2 || out.conduit || out.prefetch != 17 || !out.decreasePrio || out.bridgeTemps {
		t.Fatalf("scalar rules lost: %+v", out)
	}
	if qualifiedList(out.excluded) != "queue://secret.>,topic://internal" || qualifiedList(out.dynamic) != "topic://devices.>" ||
		qualifiedList(out.static) != "queue://audit" {
		t.Fatalf("lists lost: %+v", out)
	}
}

func connectFrameFor(r rules) *frame.Frame {
	f := frame.New(frame.CONNECT)
	r.addHeaders(f)
	return f
}
