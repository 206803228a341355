package e2e

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashi-broker/hashi/broker/mqtt/packet"
)

// Helpers for the network-of-brokers tests: broker configurations with a
// distinct brokerName, the admin API's bridge list, and a small MQTT client
// on the codec that counts exactly what it receives.

// netXML is a bare <broker> named name with MQTT, STOMP and a bridge
// listener ("bridge": ssl:// when certs is set, else tcp://) on loopback
// port 0 unless ports names fixed ones, plus children.
func netXML(name, certs, children string, ports ...string) string {
	bridgePort, scheme, ssl := "0", "tcp", ""
	if len(ports) > 0 {
		bridgePort = ports[0]
	}
	if certs != "" {
		scheme = "ssl"
		ssl = `<sslContext><sslContext keyStore="file:` + filepath.Join(certs, "server.pem") + `" trustStore="` +
			filepath.Join(certs, "ca.pem") + `"/></sslContext>`
	}
	return `<?xml version="1.0" encoding="UTF-8"?>
<broker xmlns="http://activemq.apache.org/schema/core" brokerName="` + name + `" dataDirectory="data">
` + children + `
  ` + ssl + `
  <transportConnectors>
    <transportConnector name="bridge" uri="` + scheme + `://127.0.0.1:` + bridgePort + `"/>
    <transportConnector name="mqtt" uri="mqtt://127.0.0.1:0"/>
    <transportConnector name="stomp" uri="stomp://127.0.0.1:0"/>
  </transportConnectors>
</broker>
`
}

// connectorXML is one networkConnector element.
func connectorXML(name, uri, attrs string) string {
	return `<networkConnector name="` + name + `" uri="` + uri + `" ` + attrs + `/>`
}

func connectorsXML(ncs ...string) string {
	return "<networkConnectors>\n    " + strings.Join(ncs, "\n    ") + "\n  </networkConnectors>"
}

// startNet starts a broker with the admin listener on.
func startNet(t testing.TB, xml string) *proc {
	t.Helper()
	return startBroker(t, xml, "--admin", "127.0.0.1:0")
}

// freePort returns a loopback port that was free a moment ago, for a pair of
// brokers that must each know the other's port before either starts.
func freePort(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	return port
}

// bridgeJSON is one entry of GET /api/v1/bridges.
type bridgeJSON struct {
	Name            string    `json:"name"`
	Connector       string    `json:"connector"`
	RemoteBroker    string    `json:"remoteBroker"`
	RemoteBrokerID  string    `json:"remoteBrokerId"`
	RemoteAddress   string    `json:"remoteAddress"`
	CreatedByDuplex bool      `json:"createdByDuplex"`
	Duplex          bool      `json:"duplex"`
	State           string    `json:"state"`
	Since           time.Time `json:"since"`
	Forwarded       uint64    `json:"messagesForwarded"`
	Received        uint64    `json:"messagesReceived"`
	Dropped         uint64    `json:"messagesDropped"`
	Pending         int       `json:"pending"`
	Inflight        int       `json:"inflight"`
	Demand          int       `json:"remoteDemand"`
	RTT             string    `json:"rtt"`
	LastError       string    `json:"lastError"`
}

// adminCreds holds the admin API's basic-auth user per broker that has
// authentication configured.
var adminCreds sync.Map // *proc -> [2]string

func adminGet(t testing.TB, p *proc, path string) *http.Response {
	t.Helper()
	req, err := http.NewRequest("GET", "http://"+p.addr("admin")+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c, ok := adminCreds.Load(p); ok {
		req.SetBasicAuth(c.([2]string)[0], c.([2]string)[1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

func bridges(t testing.TB, p *proc) []bridgeJSON {
	t.Helper()
	resp := adminGet(t, p, "/api/v1/bridges")
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /api/v1/bridges: %s", resp.Status)
	}
	var out struct {
		Bridges []bridgeJSON `json:"bridges"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	return out.Bridges
}

// bridgeOf returns p's bridge named name (a responder's name is
// connector@remoteBroker).
func bridgeOf(t testing.TB, p *proc, name string) (bridgeJSON, bool) {
	t.Helper()
	for _, b := range bridges(t, p) {
		if b.Name == name {
			return b, true
		}
	}
	return bridgeJSON{}, false
}

// waitBridge polls p's bridge name until cond holds.
func waitBridge(t testing.TB, p *proc, name, what string, cond func(bridgeJSON) bool) bridgeJSON {
	t.Helper()
	var b bridgeJSON
	var ok bool
	deadline := time.Now().Add(15 * time.Second)
	for {
		b, ok = bridgeOf(t, p, name)
		if ok && cond(b) {
			return b
		}
		if time.Now().After(deadline) {
			t.Fatalf("bridge %s: timed out waiting for %s; bridges now: %+v", name, what, bridges(t, p))
		}
		time.Sleep(25 * time.Millisecond)
	}
}

func up(b bridgeJSON) bool { return b.State == "up" }

func demand(n int) func(bridgeJSON) bool {
	return func(b bridgeJSON) bool { return b.State == "up" && b.Demand == n }
}

// mqttMsg is one received PUBLISH.
type mqttMsg struct {
	Topic, Payload string
	Retain         bool
	At             time.Time
}

// mqttClient is an MQTT 3.1.1 client on Hashi's codec: QoS 1 publishes wait
// for their PUBACK; received QoS 1 messages are acknowledged and recorded.
type mqttClient struct {
	t    testing.TB
	c    net.Conn
	r    *packet.Reader
	wmu  sync.Mutex
	w    *bufio.Writer
	mu   sync.Mutex
	got  []mqttMsg
	acks map[uint16]chan struct{}
	next uint16
	done chan struct{}
}

func dialMQTT(t testing.TB, addr, id string) *mqttClient {
	t.Helper()
	return dialMQTTAs(t, addr, id, "", "")
}

func dialMQTTAs(t testing.TB, addr, id, user, pass string) *mqttClient {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	mc := &mqttClient{t: t, c: c, r: packet.NewReader(c, 64*1024), w: bufio.NewWriter(c),
		acks: map[uint16]chan struct{}{}, done: make(chan struct{})}
	mc.r.SetVersion(packet.V311)
	con := &packet.Connect{ClientID: id, CleanStart: true, KeepAlive: 60}
	if user != "" {
		con.UsernameFlag, con.Username, con.PasswordFlag, con.Password = true, user, true, []byte(pass)
	}
	mc.write(con)
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	p, err := mc.r.Read()
	if err != nil {
		t.Fatalf("%s: CONNACK: %v", id, err)
	}
	if ack, ok := p.(*packet.Connack); !ok || ack.ReasonCode != 0 {
		t.Fatalf("%s: CONNACK: %+v", id, p)
	}
	c.SetReadDeadline(time.Time{})
	go mc.readLoop()
	t.Cleanup(func() { c.Close(); <-mc.done })
	return mc
}

func (mc *mqttClient) write(p packet.Packet) error {
	buf, err := packet.Append(nil, p, packet.V311)
	if err != nil {
		mc.t.Error(err)
		return err
	}
	mc.wmu.Lock()
	defer mc.wmu.Unlock()
	mc.w.Write(buf)
	return mc.w.Flush()
}

func (mc *mqttClient) readLoop() {
	defer close(mc.done)
	for {
		p, err := mc.r.Read()
		if err != nil {
			return
		}
		switch p := p.(type) {
		case *packet.Publish:
			mc.mu.Lock()
			mc.got = append(mc.got, mqttMsg{Topic: p.Topic, Payload: string(p.Payload), Retain: p.Retain, At: time.Now()})
			mc.mu.Unlock()
			if p.QoS == 1 {
				mc.write(&packet.Ack{PacketType: packet.TypePuback, PacketID: p.PacketID})
			}
		case *packet.Ack:
			mc.settle(p.PacketID)
		case *packet.Suback:
			mc.settle(p.PacketID)
		case *packet.Unsuback:
			mc.settle(p.PacketID)
		}
	}
}

func (mc *mqttClient) settle(id uint16) {
	mc.mu.Lock()
	ch := mc.acks[id]
	delete(mc.acks, id)
	mc.mu.Unlock()
	if ch != nil {
		close(ch)
	}
}

// expect registers a packet id whose acknowledgement the caller waits for.
func (mc *mqttClient) expect() (uint16, chan struct{}) {
	mc.mu.Lock()
	defer mc.mu.Unlock()
	mc.next = mc.next%65535 + 1
	ch := make(chan struct{})
	mc.acks[mc.next] = ch
	return mc.next, ch
}

func (mc *mqttClient) await(ch chan struct{}, what string) {
	mc.t.Helper()
	select {
	case <-ch:
	case <-mc.done:
		mc.t.Fatalf("connection closed waiting for %s", what)
	case <-time.After(15 * time.Second):
		mc.t.Fatalf("no acknowledgement for %s", what)
	}
}

func (mc *mqttClient) subscribe(filter string, qos byte) {
	mc.t.Helper()
	id, ch := mc.expect()
	mc.write(&packet.Subscribe{PacketID: id, Subscriptions: []packet.Subscription{{Filter: filter, QoS: qos}}})
	mc.await(ch, "SUBACK "+filter)
}

func (mc *mqttClient) unsubscribe(filter string) {
	mc.t.Helper()
	id, ch := mc.expect()
	mc.write(&packet.Unsubscribe{PacketID: id, Filters: []string{filter}})
	mc.await(ch, "UNSUBACK "+filter)
}

// publish sends one message; QoS 1 waits for the PUBACK.
func (mc *mqttClient) publish(topic, payload string, qos byte, retain bool) {
	mc.t.Helper()
	p := &packet.Publish{Topic: topic, Payload: []byte(payload), QoS: qos, Retain: retain}
	var ch chan struct{}
	if qos > 0 {
		p.PacketID, ch = mc.expect()
	}
	mc.write(p)
	if ch != nil {
		mc.await(ch, "PUBACK "+topic)
	}
}

func (mc *mqttClient) messages() []mqttMsg {
	mc.mu.Lock()
	defer mc.mu.Unlock()
	return append([]mqttMsg(nil), mc.got...)
}

func (mc *mqttClient) payloads() []string {
	var out []string
	for _, m := range mc.messages() {
		out = append(out, m.Payload)
	}
	return out
}

// waitCount waits until at least n messages arrived and returns them.
func (mc *mqttClient) waitCount(n int, d time.Duration) []mqttMsg {
	mc.t.Helper()
	deadline := time.Now().Add(d)
	for {
		got := mc.messages()
		if len(got) >= n {
			return got
		}
		if time.Now().After(deadline) {
			mc.t.Fatalf("got %d of %d messages: %v", len(got), n, summary(got))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func summary(ms []mqttMsg) string {
	var b strings.Builder
	for i, m := range ms {
		if i == 20 {
			fmt.Fprintf(&b, " ... (%d more)", len(ms)-20)
			break
		}
		fmt.Fprintf(&b, " %s=%q", m.Topic, m.Payload)
	}
	return b.String()
}

// queueDepth is the messages pending or in flight on p's queue name, or -1
// when p has no such queue.
func queueDepth(t testing.TB, p *proc, name string) int {
	t.Helper()
	resp := adminGet(t, p, "/api/v1/queues/"+name)
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusNotFound {
		return -1
	}
	var st struct{ Pending, Inflight int }
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		t.Fatal(err)
	}
	return st.Pending + st.Inflight
}
