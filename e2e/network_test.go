package e2e

import (
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/go-stomp/stomp/v3"
)

// The Tokyo–Singapore deployment (scenarios §3): one broker per region, a
// duplex connector over TLS configured in Tokyo only.
func TestNetworkTokyoSingaporeTLS(t *testing.T) {
	certs := genCerts(t)
	sg := startNet(t, netXML("singapore", certs, ""))
	tk := startNet(t, netXML("tokyo", certs, connectorsXML(
		connectorXML("tokyo_to_singapore", "static:(ssl://127.0.0.1:"+sg.port("bridge")+")", `duplex="true"`))))
	const out, in = "tokyo_to_singapore", "tokyo_to_singapore@tokyo"
	waitBridge(t, tk, out, "up", up)
	resp := waitBridge(t, sg, in, "up", up)
	if !resp.CreatedByDuplex || resp.RemoteBroker != "tokyo" {
		t.Fatalf("singapore's bridge: %+v, want createdByDuplex and remote broker tokyo", resp)
	}
	if b, _ := bridgeOf(t, tk, out); b.CreatedByDuplex || !b.Duplex || b.RemoteBroker != "singapore" {
		t.Fatalf("tokyo's bridge: %+v", b)
	}
	if !tk.has("network bridge up") || !sg.has("accepted network bridge") {
		t.Fatal("bridge log lines missing")
	}

	tkM := dialMQTT(t, tk.addr("mqtt"), "tokyo-app")
	sgM := dialMQTT(t, sg.addr("mqtt"), "singapore-app")

	t.Run("both ways, MQTT and STOMP", func(t *testing.T) {
		sgM.subscribe("devices/#", 1)
		st, err := stomp.Dial("tcp", sg.addr("stomp"))
		if err != nil {
			t.Fatal(err)
		}
		defer st.Disconnect()
		ssub, err := st.Subscribe("/topic/devices.>", stomp.AckAuto)
		if err != nil {
			t.Fatal(err)
		}
		// Both Singapore consumers are one conduit demand in Tokyo.
		waitBridge(t, tk, out, "demand for devices.>", demand(1))
		time.Sleep(100 * time.Millisecond) // the STOMP SUBSCRIBE has no receipt
		tkM.publish("devices/lock-1/state", `{"locked":true}`, 1, false)
		tkM.publish("devices/a/b/c/deep", "deep", 1, false) // wildcard demand covers any depth
		got := sgM.waitCount(2, 10*time.Second)
		if got[0].Topic != "devices/lock-1/state" || got[0].Payload != `{"locked":true}` || got[1].Payload != "deep" {
			t.Fatalf("singapore MQTT got %v", summary(got))
		}
		for _, want := range []string{"/topic/devices.lock-1.state", "/topic/devices.a.b.c.deep"} {
			select {
			case m := <-ssub.C:
				if m.Err != nil || m.Destination != want {
					t.Fatalf("singapore STOMP got %+v, want %s", m, want)
				}
			case <-time.After(10 * time.Second):
				t.Fatalf("singapore STOMP subscriber got nothing for %s", want)
			}
		}

		// And back: MQTT and STOMP publishers in Singapore, MQTT in Tokyo.
		tkM.subscribe("commands/#", 1)
		waitBridge(t, sg, in, "demand for commands.>", demand(1))
		sgM.publish("commands/lock-1", "unlock", 1, false)
		if err := st.Send("/topic/commands.lock-2", "text/plain", []byte("lock"), stomp.SendOpt.Receipt); err != nil {
			t.Fatal(err)
		}
		got = tkM.waitCount(2, 10*time.Second)
		if got[0].Payload != "unlock" || got[1].Topic != "commands/lock-2" || got[1].Payload != "lock" {
			t.Fatalf("tokyo got %v", summary(got))
		}
		time.Sleep(200 * time.Millisecond)
		if n := len(sgM.messages()); n != 2 {
			t.Fatalf("singapore MQTT subscriber got %d messages, want exactly 2: %v", n, summary(sgM.messages()))
		}
	})

	t.Run("hashi bridges", func(t *testing.T) {
		outp, err := exec.Command(hashiBin, "bridges", "--admin", sg.addr("admin")).CombinedOutput()
		if err != nil {
			t.Fatalf("hashi bridges: %v\n%s", err, outp)
		}
		var row []string
		for _, l := range strings.Split(string(outp), "\n") {
			if f := strings.Fields(l); len(f) > 5 && f[0] == in {
				row = f
			}
		}
		// BRIDGE REMOTE-BROKER REMOTE-ADDRESS DUPLEX CREATED-BY-DUPLEX STATE ...
		if row == nil || row[1] != "tokyo" || row[3] != "true" || row[4] != "true" || row[5] != "up" {
			t.Fatalf("hashi bridges does not show the duplex-created bridge:\n%s", outp)
		}
	})

	t.Run("demand goes away with the subscriber", func(t *testing.T) {
		before, _ := bridgeOf(t, tk, out)
		sgAl := dialMQTT(t, sg.addr("mqtt"), "singapore-alarms")
		sgAl.subscribe("alarms/door-1", 1)
		waitBridge(t, tk, out, "demand for alarms", demand(before.Demand+1))
		tkM.publish("alarms/door-1", "open", 1, false)
		sgAl.waitCount(1, 10*time.Second)
		sgAl.unsubscribe("alarms/door-1")
		b := waitBridge(t, tk, out, "demand gone", demand(before.Demand))
		for i := 0; i < 5; i++ {
			tkM.publish("alarms/door-1", fmt.Sprint("unseen-", i), 1, false)
		}
		time.Sleep(300 * time.Millisecond)
		if after, _ := bridgeOf(t, tk, out); after.Forwarded != b.Forwarded {
			t.Fatalf("tokyo forwarded %d messages after the only subscriber left", after.Forwarded-b.Forwarded)
		}
		if n := len(sgAl.messages()); n != 1 {
			t.Fatalf("unsubscribed client got %d messages", n)
		}
	})

	t.Run("retained before any subscriber", func(t *testing.T) {
		before, _ := bridgeOf(t, sg, in)
		tkM.publish("status/lock-9", "battery=41", 1, true)
		// Retained values replicate whatever the demand: wait until
		// Singapore has it, then subscribe there.
		waitBridge(t, sg, in, "retained value received", func(b bridgeJSON) bool { return b.Received > before.Received })
		late := dialMQTT(t, sg.addr("mqtt"), "singapore-late")
		late.subscribe("status/#", 1)
		got := late.waitCount(1, 10*time.Second)
		if got[0].Topic != "status/lock-9" || got[0].Payload != "battery=41" || !got[0].Retain {
			t.Fatalf("late subscriber got %+v, want the retained status/lock-9", got[0])
		}
		time.Sleep(200 * time.Millisecond)
		if n := len(late.messages()); n != 1 {
			t.Fatalf("late subscriber got %d messages: %v", n, summary(late.messages()))
		}
	})
}

// exactlyOnce checks that got holds every want payload exactly once and, per
// producer prefix ("a-"), in order.
func exactlyOnce(t testing.TB, who string, got []mqttMsg, want []string) {
	t.Helper()
	count := map[string]int{}
	last := map[string]int{}
	for _, m := range got {
		count[m.Payload]++
		var prod string
		var n int
		if _, err := fmt.Sscanf(strings.Replace(m.Payload, "-", " ", 1), "%s %d", &prod, &n); err == nil {
			if n < last[prod] {
				t.Errorf("%s: %s arrived after %s-%d", who, m.Payload, prod, last[prod])
			}
			last[prod] = n
		}
	}
	var lost, dup []string
	for _, w := range want {
		switch count[w] {
		case 0:
			lost = append(lost, w)
		case 1:
		default:
			dup = append(dup, w)
		}
		delete(count, w)
	}
	if len(lost) > 0 || len(dup) > 0 || len(count) > 0 {
		t.Fatalf("%s: %d messages, lost %v, duplicated %v, unexpected %v", who, len(got), lost, dup, count)
	}
}

// Three brokers, duplex connectors, default TTLs: every message published on
// any broker reaches the subscribers on every broker exactly once.
func TestNetworkThreeBrokers(t *testing.T) {
	topologies := map[string][][2]string{
		"mesh": {{"a", "b"}, {"a", "c"}, {"b", "c"}},
		"ring": {{"a", "b"}, {"b", "c"}, {"c", "a"}},
	}
	for _, name := range []string{"mesh", "ring"} {
		t.Run(name, func(t *testing.T) {
			links := topologies[name]
			ports := map[string]string{"a": freePort(t), "b": freePort(t), "c": freePort(t)}
			procs := map[string]*proc{}
			for _, n := range []string{"c", "b", "a"} {
				var ncs []string
				for _, l := range links {
					if l[0] == n {
						ncs = append(ncs, connectorXML(l[0]+"_to_"+l[1], "static:(tcp://127.0.0.1:"+ports[l[1]]+")", `duplex="true"`))
					}
				}
				procs[n] = startNet(t, netXML(n, "", connectorsXML(ncs...), ports[n]))
			}
			for _, l := range links {
				waitBridge(t, procs[l[0]], l[0]+"_to_"+l[1], "demand", demand(0))
				waitBridge(t, procs[l[1]], l[0]+"_to_"+l[1]+"@"+l[0], "up", up)
			}
			subs := map[string]*mqttClient{}
			for n, p := range procs {
				subs[n] = dialMQTT(t, p.addr("mqtt"), "sub-"+n)
				subs[n].subscribe("mesh/#", 1)
			}
			for _, l := range links { // each end sees the other's one subscriber
				waitBridge(t, procs[l[0]], l[0]+"_to_"+l[1], "demand", demand(1))
				waitBridge(t, procs[l[1]], l[0]+"_to_"+l[1]+"@"+l[0], "demand", demand(1))
			}
			const per = 30
			var want []string
			for n, p := range procs {
				pub := dialMQTT(t, p.addr("mqtt"), "pub-"+n)
				for i := 0; i < per; i++ {
					pub.publish("mesh/"+n, fmt.Sprintf("%s-%d", n, i), 1, false)
					want = append(want, fmt.Sprintf("%s-%d", n, i))
				}
			}
			for n, s := range subs {
				s.waitCount(len(want), 15*time.Second)
				time.Sleep(100 * time.Millisecond)
				exactlyOnce(t, "subscriber on "+n, s.messages(), want)
			}
		})
	}
}

// [AMQ §5.8] store-and-forward: messages queued on A before any consumer
// exists move to B's consumer once it appears, each exactly once, and leave A.
func TestNetworkQueueStoreAndForward(t *testing.T) {
	b := startNet(t, netXML("b", "", ""))
	a := startNet(t, netXML("a", "", connectorsXML(
		connectorXML("a_to_b", "static:(tcp://127.0.0.1:"+b.port("bridge")+")", `prefetchSize="7"`))))
	waitBridge(t, a, "a_to_b", "up", up)

	producer, err := stomp.Dial("tcp", a.addr("stomp"))
	if err != nil {
		t.Fatal(err)
	}
	defer producer.Disconnect()
	const n = 100
	for i := 0; i < n; i++ {
		if err := producer.Send("/queue/orders", "text/plain", []byte(fmt.Sprint(i)),
			stomp.SendOpt.Header("persistent", "true"), stomp.SendOpt.Receipt); err != nil {
			t.Fatal(err)
		}
	}
	if b, _ := bridgeOf(t, a, "a_to_b"); b.Forwarded != 0 {
		t.Fatalf("a forwarded %d queue messages before any consumer on b", b.Forwarded)
	}

	consumer, err := stomp.Dial("tcp", b.addr("stomp"))
	if err != nil {
		t.Fatal(err)
	}
	defer consumer.Disconnect()
	sub, err := consumer.Subscribe("/queue/orders", stomp.AckClientIndividual)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	timeout := time.After(20 * time.Second)
	for len(got) < n {
		select {
		case m := <-sub.C:
			if m.Err != nil {
				t.Fatal(m.Err)
			}
			got = append(got, string(m.Body))
			consumer.Ack(m)
		case <-timeout:
			t.Fatalf("b's consumer got %d of %d", len(got), n)
		}
	}
	select {
	case m := <-sub.C:
		t.Fatalf("extra message %q", m.Body)
	case <-time.After(300 * time.Millisecond):
	}
	seen := map[string]bool{}
	for _, g := range got {
		if seen[g] {
			t.Fatalf("duplicate %s in %v", g, got)
		}
		seen[g] = true
	}
	for i, g := range got { // one producer, one bridge, one consumer: queue order
		if g != fmt.Sprint(i) {
			t.Fatalf("order on b: %v", got)
		}
	}
	waitFor(t, 10*time.Second, "a's queue empty", func() bool {
		return queueDepth(t, a, "orders") == 0
	})
	if br, _ := bridgeOf(t, a, "a_to_b"); br.Forwarded != n || br.Inflight != 0 || br.Pending != 0 {
		t.Fatalf("a's bridge: %+v, want %d forwarded and nothing in flight", br, n)
	}
}

// QoS 0 across a bridge to a subscriber that reads slower than the
// publisher sends: the receiving broker stops reading the link while its
// subscriber catches up, the sending broker then holds the publisher
// back, and nothing is dropped on either side.
//
// Not parallel: under -race, sharing the two cores with the single-broker
// version (TestPahoQoS0SlowReaderLosesNothing) slows the paho readers
// enough that a write to them takes over 100 ms, which is what the broker
// counts as a stalled subscriber.
func TestNetworkQoS0SlowReaderAcrossBridgeLosesNothing(t *testing.T) {
	b := startNet(t, netXML("b", "", slowReaderPolicy))
	a := startNet(t, netXML("a", "", connectorsXML(
		connectorXML("a_to_b", "static:(tcp://127.0.0.1:"+b.port("bridge")+")", ""))))
	waitBridge(t, a, "a_to_b", "up", up)
	noDrops := func() {
		if br, ok := bridgeOf(t, a, "a_to_b"); !ok || br.Dropped != 0 || br.State != "up" {
			t.Fatalf("bridge a_to_b: %+v", br)
		}
	}
	qos0SlowReader(t, a, b, func() { waitBridge(t, a, "a_to_b", "demand", demand(1)) }, noDrops)
}
