package network

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashi-broker/hashi/broker"
	"github.com/hashi-broker/hashi/broker/dest"
	"github.com/hashi-broker/hashi/config"
)

// waitPayloads waits until r holds exactly want (in order).
func waitPayloads(t *testing.T, r *recorder, want ...string) {
	t.Helper()
	var got []string
	deadline := time.Now().Add(10 * time.Second)
	for got = r.payloads(); !slices.Equal(got, want); got = r.payloads() {
		if time.Now().After(deadline) {
			t.Fatalf("got payloads %q, want %q", got, want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestNetworkBridgeForwardsOnDemandOnly(t *testing.T) {
	b := newNode(t, "b")
	a := newNode(t, "a", connector("a_to_b", false, "tcp://"+b.addr))
	a.waitUp("a_to_b")

	a.publish("devices.1.state", "before", 1) // nobody on B yet
	got, sub := b.subscribe("devices.>")
	a.waitDemand("a_to_b", 1)
	a.publish("devices.1.state", "one", 1)
	a.publish("alarms.1", "not-matching", 1)
	waitPayloads(t, got, "one")

	b.b.Unsubscribe(sub)
	a.waitDemand("a_to_b", 0)
	before, _ := a.bridge("a_to_b")
	a.publish("devices.1.state", "after", 1)
	time.Sleep(100 * time.Millisecond)
	if in, _ := a.bridge("a_to_b"); in.Forwarded != before.Forwarded {
		t.Fatalf("forwarded %d -> %d after the remote subscriber left", before.Forwarded, in.Forwarded)
	}
	// B's bridge is the responder and does not forward (not duplex).
	if in, _ := b.bridge("a_to_b@a"); in.CreatedByDuplex || in.Duplex {
		t.Fatalf("responder of a non-duplex bridge: %+v", in)
	}
}

// [AMQ §5.3] an excluded destination never crosses, also when a wildcard
// subscription on the other side covers it.
func TestNetworkBridgeExcludedUnderWildcardDemand(t *testing.T) {
	b := newNode(t, "b")
	nc := connector("a_to_b", false, "tcp://"+b.addr)
	nc.Excluded = []config.DestRef{{Dest: dest.T("devices.secret.>")}}
	a := newNode(t, "a", nc)
	a.waitUp("a_to_b")
	got, _ := b.subscribe("devices.>")
	a.waitDemand("a_to_b", 1)
	a.publish("devices.secret.key", "secret", 1)
	a.publish("devices.secret.key", "secret-qos0", 0)
	a.publish("devices.open", "open", 1)
	waitPayloads(t, got, "open")
	time.Sleep(100 * time.Millisecond)
	if p := got.payloads(); len(p) != 1 {
		t.Fatalf("excluded destination crossed: %q", p)
	}
}

// [AMQ §5.4 step 5, §5.5] demand a broker creates for a neighbour's consumer
// carries the neighbour on its path: with consumerTTL=1 the next broker does
// not see it; with consumerTTL=2 it does, and messages follow it one hop
// further, exactly once.
func TestNetworkBridgeDemandPathAndTTL(t *testing.T) {
	for _, ttl := range []int{1, 2} {
		t.Run(fmt.Sprint("ttl", ttl), func(t *testing.T) {
			c := newNode(t, "c")
			bc := connector("b_to_c", true, "tcp://"+c.addr)
			bc.MessageTTL, bc.ConsumerTTL = ttl, ttl
			b := newNode(t, "b", bc)
			ab := connector("a_to_b", true, "tcp://"+b.addr)
			ab.MessageTTL, ab.ConsumerTTL = ttl, ttl
			a := newNode(t, "a", ab)
			a.waitUp("a_to_b")
			b.waitUp("b_to_c")

			got, _ := c.subscribe("orders.>")
			b.waitDemand("b_to_c", 1)
			if ttl == 1 {
				time.Sleep(200 * time.Millisecond)
				if in, _ := a.bridge("a_to_b"); in.Demand != 0 {
					t.Fatalf("consumerTTL=1: a holds demand %d for a consumer two hops away", in.Demand)
				}
				a.publish("orders.1", "x", 1)
				time.Sleep(200 * time.Millisecond)
				if in, _ := a.bridge("a_to_b"); in.Forwarded != 0 {
					t.Fatalf("consumerTTL=1: a forwarded %d messages nobody downstream can get", in.Forwarded)
				}
				return
			}
			a.waitDemand("a_to_b", 1)
			for i := 0; i < 20; i++ {
				a.publish("orders.1", fmt.Sprint(i), 1)
			}
			want := make([]string, 20)
			for i := range want {
				want[i] = fmt.Sprint(i)
			}
			waitPayloads(t, got, want...)
			// b's network subscription for c's consumer must not be
			// announced back to c (c is on its path).
			if in, _ := c.bridge("b_to_c@b"); in.Demand != 0 {
				t.Fatalf("c accepted demand for its own consumer back from b: %d", in.Demand)
			}
		})
	}
}

// [AMQ §5.1] loopback to the broker's own URI is skipped.
func TestNetworkBridgeToItselfIsRefused(t *testing.T) {
	self := newNodeWith(t, "self", func(addr string) []config.NetworkConnector {
		return []config.NetworkConnector{connector("loop", false, "tcp://"+addr)}
	})
	in := self.waitBridge("loop", func(in Info) bool { return in.State == Stopped }, "stopped")
	if !strings.Contains(in.LastError, "points at this broker itself") {
		t.Fatalf("last error %q does not say why", in.LastError)
	}
}

// queueRecorder consumes a queue and acknowledges every delivery.
type queueRecorder struct {
	mu  sync.Mutex
	got []string
}

func (q *queueRecorder) DeliverQueue(c *broker.Consumer, d broker.Delivery) {
	q.mu.Lock()
	q.got = append(q.got, string(d.Msg.Payload))
	q.mu.Unlock()
	go c.Ack(d.Tag) // never call back into the queue from DeliverQueue
}

func (q *queueRecorder) payloads() []string {
	q.mu.Lock()
	defer q.mu.Unlock()
	return append([]string(nil), q.got...)
}

// [AMQ §5.8] store-and-forward: queued messages move to the broker with the
// consumer once it appears, each exactly once, and leave the source.
func TestNetworkBridgeQueueStoreAndForward(t *testing.T) {
	b := newNode(t, "b")
	nc := connector("a_to_b", false, "tcp://"+b.addr)
	nc.PrefetchSize = 10 // make the window matter
	a := newNode(t, "a", nc)
	a.waitUp("a_to_b")
	const n = 200
	for i := 0; i < n; i++ {
		m := &broker.Message{Dest: dest.Q("orders"), Payload: []byte(fmt.Sprint(i)), Persistent: true}
		if err := a.b.Send(t.Context(), m); err != nil {
			t.Fatal(err)
		}
	}
	rec := &queueRecorder{}
	b.b.Consume(&broker.Consumer{Dest: dest.Q("orders"), Owner: rec, Mode: broker.AckIndividual, ID: "c1"})
	waitUntil(t, 10*time.Second, "all queue messages on b", func() bool { return len(rec.payloads()) >= n })
	time.Sleep(100 * time.Millisecond)
	got := rec.payloads()
	seen := map[string]int{}
	for _, p := range got {
		seen[p]++
	}
	if len(got) != n || len(seen) != n {
		t.Fatalf("b consumed %d messages, %d distinct, want %d", len(got), len(seen), n)
	}
	waitUntil(t, 5*time.Second, "source queue empty", func() bool {
		st, ok := a.b.QueueStats(dest.Q("orders"))
		return ok && st.Pending == 0 && st.Inflight == 0 && st.Dequeued == n
	})
}

// shortHeartBeat makes dead links show within a few hundred milliseconds.
// Call it before starting nodes: the restore runs after they stopped.
func shortHeartBeat(t *testing.T, d time.Duration) {
	old := heartBeat
	heartBeat = d
	t.Cleanup(func() { heartBeat = old })
}

// [AMQ §5.7] the peer reconnects before this end noticed that the old
// connection died: the old link is stopped, the new one carries the bridge,
// and the responder's state stays up when the old one finally ends.
func TestNetworkBridgeStaleLinkReplaced(t *testing.T) {
	shortHeartBeat(t, 300*time.Millisecond)
	b := newNode(t, "b")
	r := newRelay(t, b.addr)
	a := newNode(t, "a", connector("a_to_b", true, "tcp://"+r.addr))
	a.waitUp("a_to_b")
	b.waitUp("a_to_b@a")
	onA, _ := a.subscribe("to-a.>")
	onB, _ := b.subscribe("to-b.>")
	a.waitDemand("a_to_b", 1)
	b.waitDemand("a_to_b@a", 1)

	r.dropNear() // a sees the connection close; b sees nothing
	a.waitBridge("a_to_b", func(in Info) bool { return in.State != Up }, "down")
	a.waitUp("a_to_b")
	time.Sleep(4 * heartBeat) // b's old link times out now
	if in, _ := b.bridge("a_to_b@a"); in.State != Up {
		t.Fatalf("b's bridge is %q (%s) while its new link is up", in.State, in.LastError)
	}
	a.waitDemand("a_to_b", 1)
	b.waitDemand("a_to_b@a", 1)
	a.publish("to-b.x", "from-a", 1)
	b.publish("to-a.x", "from-b", 1)
	b.b.Publish(&broker.Message{Dest: dest.T("to-a.retained"), Payload: []byte("kept"), QoS: 1, Retain: true})
	waitPayloads(t, onB, "from-a")
	waitPayloads(t, onA, "from-b", "kept")
	time.Sleep(200 * time.Millisecond)
	if len(onA.payloads()) != 2 || len(onB.payloads()) != 1 {
		t.Fatalf("duplicates: a got %q, b got %q", onA.payloads(), onB.payloads())
	}
	// b's bridge sent the retained value once: a stale watcher would
	// have sent it twice.
	if in, _ := b.bridge("a_to_b@a"); in.Forwarded != 2 {
		t.Fatalf("b forwarded %d messages over the new link, want 2", in.Forwarded)
	}
}

// Acknowledgements lost on the way back: the messages did arrive, the
// sender resends them on the next link, and the receiver drops the copies by
// message id.
func TestNetworkBridgeResendAfterLostAcksIsDeduplicated(t *testing.T) {
	shortHeartBeat(t, 300*time.Millisecond)
	b := newNode(t, "b")
	r := newRelay(t, b.addr)
	a := newNode(t, "a", connector("a_to_b", false, "tcp://"+r.addr))
	a.waitUp("a_to_b")
	got, _ := b.subscribe("d.>")
	a.waitDemand("a_to_b", 1)

	r.mute.Store(true) // b's RECEIPTs (and heart-beats) vanish
	const n = 50
	want := make([]string, n)
	for i := range want {
		want[i] = fmt.Sprint("m", i)
		a.publish("d.x", want[i], 1)
	}
	waitPayloads(t, got, want...)
	if in, _ := a.bridge("a_to_b"); in.Inflight != n {
		t.Fatalf("a has %d in flight, want all %d unacknowledged", in.Inflight, n)
	}
	a.waitBridge("a_to_b", func(in Info) bool { return in.State != Up }, "link given up (no heart-beat)")
	r.mute.Store(false)
	in := a.waitBridge("a_to_b", func(in Info) bool { return in.State == Up && in.Inflight == 0 && in.Pending == 0 }, "resent and acknowledged")
	if in.Forwarded < 2*n {
		t.Fatalf("a forwarded %d, want the %d resent too", in.Forwarded, n)
	}
	time.Sleep(100 * time.Millisecond)
	if p := got.payloads(); len(p) != n {
		t.Fatalf("b delivered %d messages, want %d: %q", len(p), n, p)
	}
}

// Copies of one message in several queues (virtual topic fan-out, here
// Consumer.X and Consumer.Y of VirtualTopic.Orders) share its message id;
// each copy must still cross: duplicates are per destination.
func TestNetworkBridgeVirtualTopicCopiesAllCross(t *testing.T) {
	b := newNode(t, "b")
	a := newNode(t, "a", connector("a_to_b", false, "tcp://"+b.addr))
	a.waitUp("a_to_b")
	x, y := &queueRecorder{}, &queueRecorder{}
	b.b.Consume(&broker.Consumer{Dest: dest.Q("Consumer.X.VirtualTopic.Orders"), Owner: x, Mode: broker.AckIndividual})
	b.b.Consume(&broker.Consumer{Dest: dest.Q("Consumer.Y.VirtualTopic.Orders"), Owner: y, Mode: broker.AckIndividual})
	a.waitDemand("a_to_b", 2)
	for i := 0; i < 5; i++ {
		a.b.Publish(&broker.Message{Dest: dest.T("VirtualTopic.Orders"), Payload: []byte(fmt.Sprint(i)), Persistent: true})
	}
	waitUntil(t, 10*time.Second, "both consumer queues on b", func() bool {
		return len(x.payloads()) == 5 && len(y.payloads()) == 5
	})
}

// [AMQ §9 #1] duplex connectors on both sides, both brokers starting at the
// same moment: whatever the interleaving, one link remains and each message
// crosses once.
func TestNetworkBridgeDuplexBothSidesSimultaneous(t *testing.T) {
	for i := 0; i < 5; i++ {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			a, b := listenNode(t, "a"), listenNode(t, "b")
			var wg sync.WaitGroup
			wg.Add(2)
			go func() { defer wg.Done(); a.start(connector("a_to_b", true, "tcp://"+b.addr)) }()
			go func() { defer wg.Done(); b.start(connector("b_to_a", true, "tcp://"+a.addr)) }()
			wg.Wait()
			onlyOne := func(n *node) func() bool {
				return func() bool {
					up := 0
					for _, in := range n.m.Bridges() {
						if in.State == Up {
							up++
						}
					}
					return up == 1
				}
			}
			waitUntil(t, 10*time.Second, "one link up on a", onlyOne(a))
			waitUntil(t, 10*time.Second, "one link up on b", onlyOne(b))
			onA, _ := a.subscribe("t.>")
			onB, _ := b.subscribe("t.>")
			defer func() {
				if t.Failed() {
					t.Logf("a: %+v\nb: %+v", a.m.Bridges(), b.m.Bridges())
				}
			}()
			waitUntil(t, 10*time.Second, "demand both ways", func() bool {
				da, db := 0, 0
				for _, in := range a.m.Bridges() {
					da += in.Demand
				}
				for _, in := range b.m.Bridges() {
					db += in.Demand
				}
				return da == 1 && db == 1
			})
			a.publish("t.a", "from-a", 1)
			b.publish("t.b", "from-b", 1)
			for _, r := range []*recorder{onA, onB} {
				waitUntil(t, 10*time.Second, "both messages", func() bool {
					p := r.payloads()
					slices.Sort(p)
					return slices.Equal(p, []string{"from-a", "from-b"})
				})
			}
			time.Sleep(300 * time.Millisecond)
			if len(onA.payloads()) != 2 || len(onB.payloads()) != 2 {
				t.Fatalf("duplicates: a %q, b %q", onA.payloads(), onB.payloads())
			}
			if !onlyOne(a)() || !onlyOne(b)() {
				t.Fatalf("links flapping: a %+v b %+v", a.m.Bridges(), b.m.Bridges())
			}
		})
	}
}

// A responder whose listener reads small frames (wireFormat.maxFrameSize)
// says so when it accepts the bridge, and the initiator keeps its batch
// frames under that: a burst crosses without the link breaking.
func TestNetworkBatchesFitPeersMaxFrame(t *testing.T) {
	b := listenNode(t, "b")
	b.maxFrame = 4096
	b.start()
	a := newNode(t, "a", connector("a_to_b", false, "tcp://"+b.addr))
	got, _ := b.subscribe("burst.>")
	a.waitDemand("a_to_b", 1)
	first, _ := a.bridge("a_to_b")
	var want []string
	for i := range 2000 {
		p := fmt.Sprintf("%04d%s", i, strings.Repeat("x", 96))
		want = append(want, p)
		a.publish("burst.t", p, 1)
	}
	waitUntil(t, 10*time.Second, "2000 messages across", func() bool { return len(got.payloads()) >= len(want) })
	if p := got.payloads(); !slices.Equal(p, want) {
		t.Fatalf("received %d messages, not the %d sent in order", len(p), len(want))
	}
	if in, _ := a.bridge("a_to_b"); !in.Since.Equal(first.Since) {
		t.Fatalf("the link was replaced during the burst (up since %v, now since %v)", first.Since, in.Since)
	}
}

// A batch mixes QoS 0 runs (published at once on the receiver) with
// acknowledged messages and topic changes; the receiver's subscriber gets
// everything in the publisher's order.
func TestNetworkBridgeKeepsOrderAcrossRuns(t *testing.T) {
	b := newNode(t, "b")
	a := newNode(t, "a", connector("a_to_b", false, "tcp://"+b.addr))
	a.waitUp("a_to_b")
	got, _ := b.subscribe("devices.>")
	a.waitDemand("a_to_b", 1)

	var want []string
	for i := range 300 {
		topic := "devices.lock-42.state"
		if i%50 >= 40 {
			topic = "devices.lock-43.state"
		}
		qos := byte(0)
		if i%7 == 3 {
			qos = 1
		}
		p := fmt.Sprintf("%s/%d/%d", topic, qos, i)
		a.publish(topic, p, qos)
		want = append(want, p)
	}
	waitPayloads(t, got, want...)
}
