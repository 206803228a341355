package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// stateLines returns p's "network bridge state" log lines for bridge in
// state.
func stateLines(p *proc, bridge, state string) []map[string]any {
	var out []map[string]any
	for _, l := range p.find("network bridge state") {
		if l["bridge"] == bridge && l["state"] == state {
			out = append(out, l)
		}
	}
	return out
}

// [AMQ §5.1] masterslave:(dead,live): the one bridge reaches whichever
// answers.
func TestNetworkMasterSlave(t *testing.T) {
	live := startNet(t, netXML("standby", "", ""))
	dead := freePort(t)
	a := startNet(t, netXML("edge", "", connectorsXML(connectorXML("to_pair",
		"masterslave:(tcp://127.0.0.1:"+dead+",tcp://127.0.0.1:"+live.port("bridge")+")", ""))))
	b := waitBridge(t, a, "to_pair", "up", up)
	if b.RemoteBroker != "standby" || !strings.HasSuffix(b.RemoteAddress, ":"+live.port("bridge")) {
		t.Fatalf("bridge: %+v, want the live broker", b)
	}
	if n := len(bridges(t, a)); n != 1 {
		t.Fatalf("masterslave made %d bridges, want 1", n)
	}
	sub := dialMQTT(t, live.addr("mqtt"), "sub")
	sub.subscribe("x/#", 1)
	waitBridge(t, a, "to_pair", "demand", demand(1))
	dialMQTT(t, a.addr("mqtt"), "pub").publish("x/1", "hello", 1, false)
	sub.waitCount(1, 10*time.Second)
}

// [AMQ §5.1] a connector pointing at its own broker is refused, said so in
// the log, and stopped (retrying cannot help).
func TestNetworkConnectorToSelf(t *testing.T) {
	port := freePort(t)
	p := startNet(t, netXML("lonely", "", connectorsXML(connectorXML("loop", "static:(tcp://127.0.0.1:"+port+")", "")), port))
	b := waitBridge(t, p, "loop", "stopped", func(b bridgeJSON) bool { return b.State == "stopped" })
	if !strings.Contains(b.LastError, "points at this broker itself") {
		t.Fatalf("lastError %q", b.LastError)
	}
	waitFor(t, 5*time.Second, "log lines", func() bool { return p.has("refusing network bridge") && p.has("network bridge stopped") })
	for _, l := range p.find("refusing network bridge") {
		if !strings.Contains(fmt.Sprint(l["reason"]), "itself") {
			t.Fatalf("refusal does not say why: %v", l)
		}
	}
	time.Sleep(1500 * time.Millisecond)
	if n := len(p.find("refusing network bridge")); n != 1 {
		t.Fatalf("refused %d times: a stopped bridge must not retry", n)
	}
}

// [AMQ §9 #1] duplex connectors configured on both sides: one link stays,
// the one the broker with the smaller id initiated, and each message
// arrives once.
func TestNetworkDuplexBothSides(t *testing.T) {
	pa, pb := freePort(t), freePort(t)
	a := startNet(t, netXML("a", "", connectorsXML(connectorXML("a_to_b", "static:(tcp://127.0.0.1:"+pb+")", `duplex="true"`)), pa))
	b := startNet(t, netXML("b", "", connectorsXML(connectorXML("b_to_a", "static:(tcp://127.0.0.1:"+pa+")", `duplex="true"`)), pb))
	// Broker ids start with the name, so a's id is the smaller one.
	waitBridge(t, a, "a_to_b", "up", up)
	waitBridge(t, b, "a_to_b@a", "up", up)
	waitBridge(t, b, "b_to_a", "refused", func(br bridgeJSON) bool {
		return br.State != "up" && strings.Contains(br.LastError, "duplex")
	})
	onA := dialMQTT(t, a.addr("mqtt"), "sub-a")
	onA.subscribe("dup/#", 1)
	onB := dialMQTT(t, b.addr("mqtt"), "sub-b")
	onB.subscribe("dup/#", 1)
	waitBridge(t, a, "a_to_b", "demand", demand(1))
	waitBridge(t, b, "a_to_b@a", "demand", demand(1))
	pubA, pubB := dialMQTT(t, a.addr("mqtt"), "pub-a"), dialMQTT(t, b.addr("mqtt"), "pub-b")
	var want []string
	for i := 0; i < 20; i++ {
		pubA.publish("dup/a", fmt.Sprint("a-", i), 1, false)
		pubB.publish("dup/b", fmt.Sprint("b-", i), 1, false)
		want = append(want, fmt.Sprint("a-", i), fmt.Sprint("b-", i))
	}
	onA.waitCount(len(want), 10*time.Second)
	onB.waitCount(len(want), 10*time.Second)
	time.Sleep(200 * time.Millisecond)
	exactlyOnce(t, "subscriber on a", onA.messages(), want)
	exactlyOnce(t, "subscriber on b", onB.messages(), want)
	// Only one link carried traffic.
	var upCount int
	for _, p := range []*proc{a, b} {
		for _, br := range bridges(t, p) {
			if br.State == "up" {
				upCount++
			} else if br.Forwarded+br.Received > 0 && br.Name != "b_to_a@b" {
				t.Errorf("a losing bridge carried traffic: %+v", br)
			}
		}
	}
	if upCount != 2 {
		t.Fatalf("%d bridge ends up, want one link (2 ends): a %+v b %+v", upCount, bridges(t, a), bridges(t, b))
	}
	// The loser does not hammer the winner: it backs off.
	n := len(a.find("refusing network bridge"))
	time.Sleep(3 * time.Second)
	if m := len(a.find("refusing network bridge")); m-n > 2 {
		t.Fatalf("b retried %d times in 3 s against a duplex link that stays", m-n)
	}
}

// A remote whose certificate the initiator does not trust: the bridge says
// whose certificate and why, and keeps retrying.
func TestNetworkUntrustedRemoteCertificate(t *testing.T) {
	mine, theirs := genCerts(t), genCerts(t) // two unrelated CAs
	sg := startNet(t, netXML("singapore", theirs, ""))
	tk := startNet(t, netXML("tokyo", mine, connectorsXML(
		connectorXML("tokyo_to_singapore", "static:(ssl://127.0.0.1:"+sg.port("bridge")+")", `duplex="true"`))))
	b := waitBridge(t, tk, "tokyo_to_singapore", "backing off", func(b bridgeJSON) bool { return b.State == "backing off" })
	if !strings.Contains(b.LastError, `subject "CN=localhost"`) || !strings.Contains(b.LastError, "not signed by a trusted CA") {
		t.Fatalf("lastError %q does not name the certificate and the reason", b.LastError)
	}
	waitFor(t, 10*time.Second, "a second attempt", func() bool {
		return len(stateLines(tk, "tokyo_to_singapore", "backing off")) >= 2
	})
	for _, l := range stateLines(tk, "tokyo_to_singapore", "backing off") {
		if !strings.Contains(fmt.Sprint(l["error"]), "CN=localhost") {
			t.Fatalf("log line does not name the certificate: %v", l)
		}
	}
	if bs := bridges(t, sg); len(bs) != 0 {
		t.Fatalf("singapore lists bridges %+v", bs)
	}
}

// The bridge user may not write one destination on the remote: that
// destination is skipped (and said so), the others keep flowing, the bridge
// stays up.
func TestNetworkBridgeUserLacksWrite(t *testing.T) {
	users := `<plugins>
    <simpleAuthenticationPlugin anonymousAccessAllowed="false">
      <users>
        <authenticationUser username="testuser" password="bridge-pass" groups="bridges"/>
        <authenticationUser username="admin" password="admin-pass" groups="admins"/>
      </users>
    </simpleAuthenticationPlugin>
    %s
  </plugins>`
	authz := `<authorizationPlugin><map><authorizationMap><authorizationEntries>
      <authorizationEntry topic=">" read="admins" write="admins" admin="admins"/>
      <authorizationEntry topic="devices.>" read="admins,bridges" write="admins,bridges" admin="admins,bridges"/>
    </authorizationEntries></authorizationMap></map></authorizationPlugin>`
	sg := startNet(t, netXML("singapore", "", fmt.Sprintf(users, authz)))
	adminCreds.Store(sg, [2]string{"admin", "admin-pass"})
	tk := startNet(t, netXML("tokyo", "", connectorsXML(
		connectorXML("tokyo_to_singapore", "static:(tcp://127.0.0.1:"+sg.port("bridge")+")", `duplex="true" userName="testuser"`))+
		"\n"+fmt.Sprintf(users, "")))
	adminCreds.Store(tk, [2]string{"admin", "admin-pass"})
	waitBridge(t, tk, "tokyo_to_singapore", "up", up)

	sub := dialMQTTAs(t, sg.addr("mqtt"), "sg-admin", "admin", "admin-pass")
	sub.subscribe("secret/#", 1)
	sub.subscribe("devices/#", 1)
	waitBridge(t, tk, "tokyo_to_singapore", "demand", demand(2))
	pub := dialMQTTAs(t, tk.addr("mqtt"), "tk-admin", "admin", "admin-pass")
	pub.publish("secret/plans", "s1", 1, false)
	pub.publish("devices/1", "d1", 1, false)
	pub.publish("secret/plans", "s2", 1, false)
	pub.publish("devices/2", "d2", 1, false)
	got := sub.waitCount(2, 10*time.Second)
	waitFor(t, 5*time.Second, "the refusal in tokyo's log", func() bool { return tk.has("peer refused a forwarded message") })
	time.Sleep(200 * time.Millisecond)
	got = sub.messages()
	if len(got) != 2 || got[0].Payload != "d1" || got[1].Payload != "d2" {
		t.Fatalf("singapore got %v, want d1 d2 only", summary(got))
	}
	l := tk.find("peer refused a forwarded message")[0]
	if l["destination"] != "topic://secret.plans" || !strings.Contains(fmt.Sprint(l["reason"]), "testuser") {
		t.Fatalf("refusal log line: %v", l)
	}
	if n := len(tk.find("peer refused a forwarded message")); n != 1 {
		t.Fatalf("refusal logged %d times, want once per destination", n)
	}
	b, _ := bridgeOf(t, tk, "tokyo_to_singapore")
	if b.State != "up" || len(tk.find("network bridge up")) != 1 {
		t.Fatalf("the bridge flapped: %+v, %d up lines", b, len(tk.find("network bridge up")))
	}
	pub.publish("devices/3", "d3", 1, false)
	sub.waitCount(3, 10*time.Second)
}
