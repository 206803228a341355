package network

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hashi-broker/hashi/broker"
	"github.com/hashi-broker/hashi/broker/dest"
)

// [AMQ §5.8] store-and-forward across a broken link: queue messages in
// flight when the link breaks go back to the source queue and cross again
// once it heals; the consumer gets each exactly once and the source ends
// empty.
func TestNetworkBridgeQueueAcrossCut(t *testing.T) {
	b := newNode(t, "b")
	r := newRelay(t, b.addr)
	nc := connector("a_to_b", false, "tcp://"+r.addr)
	nc.PrefetchSize = 20
	a := newNode(t, "a", nc)
	a.waitUp("a_to_b")
	rec := &queueRecorder{}
	b.b.Consume(&broker.Consumer{Dest: dest.Q("jobs"), Owner: rec, Mode: broker.AckIndividual, Prefetch: 5})
	a.waitDemand("a_to_b", 1)
	const n = 400
	for i := 0; i < n; i++ {
		if err := a.b.Send(t.Context(), &broker.Message{Dest: dest.Q("jobs"), Payload: []byte(fmt.Sprint(i)), Persistent: true}); err != nil {
			t.Fatal(err)
		}
		if i == n/4 {
			r.cut()
		}
		if i == n/2 {
			r.heal()
		}
	}
	waitUntil(t, 15*time.Second, "every job on b", func() bool { return len(rec.payloads()) >= n })
	time.Sleep(100 * time.Millisecond)
	seen := map[string]bool{}
	for _, p := range rec.payloads() {
		if seen[p] {
			t.Fatalf("job %s consumed twice", p)
		}
		seen[p] = true
	}
	if len(seen) != n {
		t.Fatalf("%d distinct jobs, want %d", len(seen), n)
	}
	waitUntil(t, 5*time.Second, "a's queue empty", func() bool {
		st, _ := a.b.QueueStats(dest.Q("jobs"))
		return st.Pending == 0 && st.Inflight == 0
	})
}

// A retained value set while the link is down reaches the peer when it
// heals: link start replays every retained value.
func TestNetworkBridgeRetainedSetDuringOutage(t *testing.T) {
	b := newNode(t, "b")
	r := newRelay(t, b.addr)
	a := newNode(t, "a", connector("a_to_b", true, "tcp://"+r.addr))
	a.waitUp("a_to_b")
	r.cut()
	a.waitBridge("a_to_b", func(in Info) bool { return in.State != Up }, "down")
	a.b.Publish(&broker.Message{Dest: dest.T("status.lock-1"), Payload: []byte("locked"), QoS: 1, Retain: true})
	r.heal()
	a.waitUp("a_to_b")
	waitUntil(t, 10*time.Second, "the retained value on b", func() bool {
		ms := b.b.Retained(dest.T("status.>"))
		return len(ms) == 1 && string(ms[0].Payload) == "locked"
	})
}

// [AMQ §5.9] maxReconnectAttempts: the bridge gives up and says so.
func TestNetworkBridgeMaxReconnectAttempts(t *testing.T) {
	dead := listenNode(t, "dead") // a port nobody accepts bridges on
	dead.ln.Close()
	nc := connector("to_dead", false, "tcp://"+dead.addr)
	nc.Reconnect.MaxAttempts = 2
	nc.Reconnect.InitialDelay, nc.Reconnect.MaxDelay = 20*time.Millisecond, 40*time.Millisecond
	a := newNode(t, "a", nc)
	in := a.waitBridge("to_dead", func(in Info) bool { return in.State == Stopped }, "stopped")
	if !strings.Contains(in.LastError, "Reconnect attempts exceeded") {
		t.Fatalf("lastError %q", in.LastError)
	}
}

// The console's picture: a sees b directly and c through b's report.
func TestNetworkTopologyTwoHops(t *testing.T) {
	old := pingInterval
	pingInterval = 50 * time.Millisecond
	t.Cleanup(func() { pingInterval = old })
	c := newNode(t, "c")
	b := newNode(t, "b", connector("b_to_c", true, "tcp://"+c.addr))
	a := newNode(t, "a", connector("a_to_b", true, "tcp://"+b.addr))
	a.waitUp("a_to_b")
	b.waitUp("b_to_c")
	var top Topology
	waitUntil(t, 10*time.Second, "c two hops away in a's topology", func() bool {
		top = a.m.Topology()
		for _, nd := range top.Nodes {
			if nd.Name == "c" && nd.Hops == 2 {
				return true
			}
		}
		return false
	})
	want := map[string]bool{"a-b": false, "b-c": false}
	for _, e := range top.Edges {
		k := e.From + "-" + e.To
		if e.From > e.To {
			k = e.To + "-" + e.From
		}
		if _, ok := want[k]; !ok {
			t.Fatalf("unexpected edge %+v", e)
		}
		if e.State != Up {
			t.Fatalf("edge %+v not up", e)
		}
		want[k] = true
	}
	if !want["a-b"] || !want["b-c"] || len(top.Edges) != 2 {
		t.Fatalf("edges %+v", top.Edges)
	}
}

// Consumers coming and going while a link starts: the peer ends up with
// exactly the demand that exists. (The watcher's events must reach the peer
// after the snapshot's sync/synced frames, never inside or before them.)
func TestNetworkDemandChurnDuringLinkStart(t *testing.T) {
	for round := 0; round < 3; round++ {
		b := newNode(t, "b")
		r := &recorder{}
		subs := make([]*broker.Subscription, 50)
		on := make([]bool, len(subs))
		for i := range subs {
			subs[i] = &broker.Subscription{Dest: dest.T(fmt.Sprint("s.", i)), Owner: r, QoS: 1}
		}
		stop := make(chan struct{})
		done := make(chan struct{})
		go func() {
			defer close(done)
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				k := (i * 7) % len(subs)
				if on[k] {
					b.b.Unsubscribe(subs[k])
				} else {
					b.b.Subscribe(subs[k])
				}
				on[k] = !on[k]
				time.Sleep(100 * time.Microsecond) // a few hundred changes, not a flood
			}
		}()
		a := newNode(t, "a", connector("a_to_b", false, "tcp://"+b.addr))
		a.waitUp("a_to_b")
		time.Sleep(50 * time.Millisecond)
		close(stop)
		<-done
		want := 0
		for _, o := range on {
			if o {
				want++
			}
		}
		// Once the announcements settle (a's count stays put for 300 ms), a
		// must hold exactly b's demand.
		last, since := -1, time.Now()
		waitUntil(t, 15*time.Second, "a's demand to settle", func() bool {
			in, _ := a.bridge("a_to_b")
			if in.Demand != last {
				last, since = in.Demand, time.Now()
			}
			return time.Since(since) > 300*time.Millisecond
		})
		if last != want {
			t.Fatalf("round %d: a holds demand %d, b has %d consumers", round, last, want)
		}
	}
}
