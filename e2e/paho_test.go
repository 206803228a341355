package e2e

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"
)

// MQTT 3.1.1 against the hashi binary with Eclipse paho.mqtt.golang.

// inbox collects messages delivered to a paho callback.
type inbox struct {
	mu   sync.Mutex
	msgs []mqtt.Message
}

func (in *inbox) handler(_ mqtt.Client, m mqtt.Message) {
	in.mu.Lock()
	in.msgs = append(in.msgs, m)
	in.mu.Unlock()
}

func (in *inbox) all() []mqtt.Message {
	in.mu.Lock()
	defer in.mu.Unlock()
	return slices.Clone(in.msgs)
}

func (in *inbox) payloads() []string {
	var out []string
	for _, m := range in.all() {
		out = append(out, string(m.Payload()))
	}
	return out
}

// wait waits for n messages and returns them.
func (in *inbox) wait(t testing.TB, n int) []mqtt.Message {
	t.Helper()
	waitFor(t, 10*time.Second, fmt.Sprintf("%d messages (have %q)", n, in.payloads()), func() bool { return len(in.all()) >= n })
	return in.all()
}

// pahoOpts are options for one client of broker b.
func pahoOpts(b *proc, id string) *mqtt.ClientOptions {
	return mqtt.NewClientOptions().AddBroker("tcp://127.0.0.1:" + b.port("mqtt")).
		SetClientID(id).SetProtocolVersion(4).SetAutoReconnect(false).SetConnectRetry(false).
		SetConnectTimeout(5 * time.Second).SetWriteTimeout(5 * time.Second).SetOrderMatters(true)
}

// pahoConnect connects and fails the test unless accepted.
func pahoConnect(t testing.TB, opts *mqtt.ClientOptions) mqtt.Client {
	t.Helper()
	c := mqtt.NewClient(opts)
	if err := wait(t, c.Connect()); err != nil {
		t.Fatalf("connect %s: %v", opts.ClientID, err)
	}
	t.Cleanup(func() { c.Disconnect(0) })
	return c
}

// wait waits for a paho token and returns its error.
func wait(t testing.TB, tok mqtt.Token) error {
	t.Helper()
	if !tok.WaitTimeout(10 * time.Second) {
		t.Fatal("paho token timed out")
	}
	return tok.Error()
}

func pahoSub(t testing.TB, c mqtt.Client, filter string, qos byte, in *inbox) byte {
	t.Helper()
	tok := c.Subscribe(filter, qos, in.handler)
	if err := wait(t, tok); err != nil {
		t.Fatalf("subscribe %s: %v", filter, err)
	}
	return tok.(*mqtt.SubscribeToken).Result()[filter]
}

func pahoPub(t testing.TB, c mqtt.Client, topic string, qos byte, retained bool, payload string) {
	t.Helper()
	if err := wait(t, c.Publish(topic, qos, retained, payload)); err != nil {
		t.Fatalf("publish %s: %v", topic, err)
	}
}

func TestPahoQoSLevels(t *testing.T) {
	t.Parallel()
	b := startBroker(t, brokerXML("", mqttConnectorXML))
	pub := pahoConnect(t, pahoOpts(b, "pub"))
	for qos := byte(0); qos <= 2; qos++ {
		t.Run(fmt.Sprint("qos", qos), func(t *testing.T) {
			topic := fmt.Sprintf("devices/lock-%d/state", qos)
			var in inbox
			sub := pahoConnect(t, pahoOpts(b, fmt.Sprint("sub", qos)))
			if granted := pahoSub(t, sub, topic, qos, &in); granted != qos {
				t.Fatalf("granted QoS %d, want %d", granted, qos)
			}
			for i := range 3 {
				pahoPub(t, pub, topic, qos, false, fmt.Sprintf(`{"battery":%d}`, 80+i))
			}
			got := in.wait(t, 3)
			for i, m := range got {
				if want := fmt.Sprintf(`{"battery":%d}`, 80+i); string(m.Payload()) != want || m.Qos() != qos || m.Topic() != topic || m.Retained() {
					t.Errorf("message %d: %s %q qos %d retained %v", i, m.Topic(), m.Payload(), m.Qos(), m.Retained())
				}
			}
		})
	}
}

func TestPahoRetained(t *testing.T) {
	t.Parallel()
	b := startBroker(t, brokerXML("", mqttConnectorXML))
	pub := pahoConnect(t, pahoOpts(b, "pub"))
	pahoPub(t, pub, "sensors/door/1", 1, true, "open")
	pahoPub(t, pub, "sensors/door/1", 1, true, "closed") // replaces
	pahoPub(t, pub, "sensors/door/2", 0, true, "open")

	var in inbox
	sub := pahoConnect(t, pahoOpts(b, "sub1"))
	pahoSub(t, sub, "sensors/#", 1, &in)
	got := in.wait(t, 2)
	seen := map[string]string{}
	for _, m := range got {
		if !m.Retained() {
			t.Errorf("%s delivered on subscribe without the retain flag [MQTT-3.3.1-8]", m.Topic())
		}
		seen[m.Topic()] = string(m.Payload())
	}
	if seen["sensors/door/1"] != "closed" || seen["sensors/door/2"] != "open" {
		t.Fatalf("retained on subscribe: %v", seen)
	}
	// A live message to a subscriber is not flagged retained [MQTT-3.3.1-9].
	pahoPub(t, pub, "sensors/door/2", 1, true, "ajar")
	if m := in.wait(t, 3)[2]; m.Retained() || string(m.Payload()) != "ajar" {
		t.Errorf("live retained publish: %q retained=%v", m.Payload(), m.Retained())
	}

	// Clear door 1 with an empty retained message [MQTT-3.3.1-10].
	pahoPub(t, pub, "sensors/door/1", 1, true, "")
	var in2 inbox
	sub2 := pahoConnect(t, pahoOpts(b, "sub2"))
	pahoSub(t, sub2, "sensors/#", 1, &in2)
	pahoPub(t, pub, "sensors/sentinel", 1, false, "end")
	got = in2.wait(t, 2)
	if p := in2.payloads(); len(p) != 2 || got[0].Topic() != "sensors/door/2" || p[0] != "ajar" || p[1] != "end" {
		t.Fatalf("after clearing door/1: %q", p)
	}
}

func TestPahoWildcards(t *testing.T) {
	t.Parallel()
	b := startBroker(t, brokerXML("", mqttConnectorXML))
	var multi, single inbox
	c := pahoConnect(t, pahoOpts(b, "subs"))
	pahoSub(t, c, "home/#", 0, &multi)
	c2 := pahoConnect(t, pahoOpts(b, "subs2"))
	pahoSub(t, c2, "home/+/temp", 0, &single)
	pub := pahoConnect(t, pahoOpts(b, "pub"))
	for _, topic := range []string{"home/kitchen/temp", "home/kitchen/humidity", "home", "office/desk/temp", "home/a/b/temp", "home/end/temp"} {
		pahoPub(t, pub, topic, 1, false, topic)
	}
	multi.wait(t, 5)
	single.wait(t, 2)
	if got, want := multi.payloads(), []string{"home/kitchen/temp", "home/kitchen/humidity", "home", "home/a/b/temp", "home/end/temp"}; !slices.Equal(got, want) {
		t.Errorf("home/# got %q want %q", got, want)
	}
	if got, want := single.payloads(), []string{"home/kitchen/temp", "home/end/temp"}; !slices.Equal(got, want) {
		t.Errorf("home/+/temp got %q want %q", got, want)
	}
}

// killableOpts makes the client's TCP connection reachable, so a test can
// cut it without DISCONNECT.
func killableOpts(opts *mqtt.ClientOptions) (*mqtt.ClientOptions, func()) {
	var mu sync.Mutex
	var nc net.Conn
	opts.SetCustomOpenConnectionFn(func(u *url.URL, _ mqtt.ClientOptions) (net.Conn, error) {
		c, err := net.Dial("tcp", u.Host)
		mu.Lock()
		nc = c
		mu.Unlock()
		return c, err
	})
	return opts, func() {
		mu.Lock()
		defer mu.Unlock()
		nc.Close()
	}
}

func TestPahoWill(t *testing.T) {
	t.Parallel()
	b := startBroker(t, brokerXML("", mqttConnectorXML))
	var in inbox
	watcher := pahoConnect(t, pahoOpts(b, "watcher"))
	pahoSub(t, watcher, "devices/+/status", 1, &in)

	opts, cut := killableOpts(pahoOpts(b, "lock-7").SetWill("devices/lock-7/status", "offline", 1, false))
	pahoConnect(t, opts)
	cut() // no DISCONNECT: the will must go out [MQTT-3.1.2-8]
	if m := in.wait(t, 1)[0]; m.Topic() != "devices/lock-7/status" || string(m.Payload()) != "offline" {
		t.Fatalf("will: %s %q", m.Topic(), m.Payload())
	}

	polite := pahoConnect(t, pahoOpts(b, "lock-8").SetWill("devices/lock-8/status", "offline", 1, false))
	polite.Disconnect(250) // [MQTT-3.1.2-10] no will after DISCONNECT
	waitFor(t, 5*time.Second, "lock-8 disconnected", func() bool { return len(b.find("client disconnected")) >= 2 })
	pub := pahoConnect(t, pahoOpts(b, "pub"))
	pahoPub(t, pub, "devices/sentinel/status", 1, false, "end")
	if got := in.wait(t, 2); len(got) != 2 || got[1].Topic() != "devices/sentinel/status" {
		t.Fatalf("will published after a clean disconnect: %q", in.payloads())
	}
}

// A persistent session (clean session 0) keeps subscriptions and QoS 1
// messages while the client is away; QoS 0 ones are not kept.
func TestPahoPersistentSession(t *testing.T) {
	t.Parallel()
	b := startBroker(t, brokerXML("", mqttConnectorXML))
	var first inbox
	lockOpts := func(in *inbox) *mqtt.ClientOptions {
		return pahoOpts(b, "lock-42").SetCleanSession(false).SetResumeSubs(true).SetDefaultPublishHandler(in.handler)
	}
	lock := pahoConnect(t, lockOpts(&first))
	pahoSub(t, lock, "devices/lock-42/command", 1, &first)
	lock.Disconnect(250)
	waitFor(t, 5*time.Second, "lock-42 offline", func() bool { return b.has("client disconnected") })

	pub := pahoConnect(t, pahoOpts(b, "pub"))
	for i := 1; i <= 5; i++ {
		pahoPub(t, pub, "devices/lock-42/command", 1, false, fmt.Sprintf(`{"action":"unlock","nonce":"n%d"}`, i))
	}
	pahoPub(t, pub, "devices/lock-42/command", 0, false, "lost")
	// QoS 0 completes when written; a QoS 1 round trip after it on the same
	// connection means the broker handled it while the session was offline.
	pahoPub(t, pub, "devices/sync", 1, false, "")

	var back inbox
	c := mqtt.NewClient(lockOpts(&back))
	tok := c.Connect()
	if err := wait(t, tok); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Disconnect(0) })
	if !tok.(*mqtt.ConnectToken).SessionPresent() {
		t.Error("CONNACK session present = 0 for a persistent session [MQTT-3.2.2-2]")
	}
	// The subscription survived: a new message arrives after the queued ones.
	pahoPub(t, pub, "devices/lock-42/command", 1, false, "live")
	back.wait(t, 6)
	want := []string{}
	for i := 1; i <= 5; i++ {
		want = append(want, fmt.Sprintf(`{"action":"unlock","nonce":"n%d"}`, i))
	}
	if got := back.payloads(); !slices.Equal(got, append(want, "live")) {
		t.Fatalf("after reconnect got %q", got)
	}
}

// threeRoles is Amazon MQ's three-role setup: simple authentication with
// users admin, publisher and subscriber (groups of the same names) and one
// authorization entry for every topic.
const threeRoles = `<plugins>
  <simpleAuthenticationPlugin anonymousAccessAllowed="false">
    <users>
      <authenticationUser username="admin" password="admin-secret" groups="admin"/>
      <authenticationUser username="publisher" password="pub-secret" groups="publisher"/>
      <authenticationUser username="subscriber" password="sub-secret" groups="subscriber"/>
    </users>
  </simpleAuthenticationPlugin>
  <authorizationPlugin><map><authorizationMap><authorizationEntries>
    <authorizationEntry topic="&gt;" write="admin, publisher" read="admin, subscriber" admin="admin,publisher"/>
  </authorizationEntries></authorizationMap></map></authorizationPlugin>
</plugins>
` + mqttConnectorXML

func asUser(opts *mqtt.ClientOptions, user, password string) *mqtt.ClientOptions {
	return opts.SetUsername(user).SetPassword(password)
}

// deniedLines returns the audit log lines for denials of client.
func deniedLines(b *proc, client string) []map[string]any {
	var out []map[string]any
	for _, l := range b.find("denied") {
		if l["client"] == client {
			out = append(out, l)
		}
	}
	return out
}

func TestPahoAuthorizationThreeRoles(t *testing.T) {
	t.Parallel()
	b := startBroker(t, brokerXML("", threeRoles))

	// Wrong password: CONNACK 5 "not authorized" (3.1.1 §3.2.2.3).
	bad := mqtt.NewClient(asUser(pahoOpts(b, "intruder"), "publisher", "wrong"))
	tok := bad.Connect()
	if err := wait(t, tok); err == nil {
		bad.Disconnect(0)
		t.Fatal("connected with a wrong password")
	}
	if rc := tok.(*mqtt.ConnectToken).ReturnCode(); rc != 5 {
		t.Errorf("wrong password: CONNACK return code %d, want 5 (not authorized)", rc)
	}

	var subIn, pubIn inbox
	sub := pahoConnect(t, asUser(pahoOpts(b, "sub-client"), "subscriber", "sub-secret"))
	if rc := pahoSub(t, sub, "orders/#", 1, &subIn); rc != 1 {
		t.Fatalf("subscriber SUBACK %#x, want 1", rc)
	}
	pub := pahoConnect(t, asUser(pahoOpts(b, "pub-client"), "publisher", "pub-secret"))
	// The publisher may not read: SUBACK 0x80 [MQTT-3.9.3-?].
	if rc := pahoSub(t, pub, "orders/#", 1, &pubIn); rc != 0x80 {
		t.Errorf("publisher SUBACK %#x, want 0x80", rc)
	}
	// The subscriber may not write: MQTT 3.1.1 cannot refuse a PUBLISH, so it
	// is acknowledged and dropped.
	pahoPub(t, sub, "orders/1", 1, false, "forged")
	pahoPub(t, sub, "orders/1", 1, false, "forged again")
	pahoPub(t, pub, "orders/1", 1, false, "real")
	if got := subIn.wait(t, 1); len(got) != 1 || string(got[0].Payload()) != "real" {
		t.Fatalf("subscriber received %q, want only the publisher's message", subIn.payloads())
	}
	admin := pahoConnect(t, asUser(pahoOpts(b, "admin-client"), "admin", "admin-secret"))
	pahoPub(t, admin, "orders/2", 2, false, "from admin")
	subIn.wait(t, 2)
	if got := subIn.payloads(); !slices.Equal(got, []string{"real", "from admin"}) {
		t.Fatalf("subscriber received %q", got)
	}

	// Each denial is in the JSON audit log once, with who, what and where.
	for _, tc := range []struct{ client, user, action, dest string }{
		{"sub-client", "subscriber", "write", "topic://orders.1"},
		{"pub-client", "publisher", "read", "topic://orders.>"},
	} {
		var lines []map[string]any
		waitFor(t, 5*time.Second, "audit line for "+tc.client, func() bool {
			lines = deniedLines(b, tc.client)
			return len(lines) > 0
		})
		if len(lines) != 1 {
			t.Errorf("%s: %d audit lines, want 1: %v", tc.client, len(lines), lines)
			continue
		}
		l := lines[0]
		if l["user"] != tc.user || l["action"] != tc.action || l["destination"] != tc.dest {
			t.Errorf("%s: audit line %v, want user=%s action=%s destination=%s", tc.client, l, tc.user, tc.action, tc.dest)
		}
	}
	if n := len(b.find("login refused")); n != 1 {
		t.Errorf("%d 'login refused' lines for the wrong password, want 1", n)
	}
}

// metricValue reads one unlabelled counter from GET /metrics.
func metricValue(t testing.TB, p *proc, name string) float64 {
	t.Helper()
	resp := adminGet(t, p, "/metrics")
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics: %s %v", resp.Status, err)
	}
	for _, line := range strings.Split(string(body), "\n") {
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatalf("%s: %v", line, err)
			}
			return f
		}
	}
	t.Fatalf("no %s in /metrics", name)
	return 0
}

// A paho subscriber that reads, but slower than a QoS 0 publisher sends:
// 20 MB against a pending limit of 200 messages. The broker stops reading
// the publisher while the subscriber catches up, so every message arrives,
// in order, and nothing is counted as dropped; before QoS 0 flow control
// most of them were dropped at the pending limit.
func TestPahoQoS0SlowReaderLosesNothing(t *testing.T) {
	t.Parallel()
	b := startBroker(t, brokerXML("", slowReaderPolicy+mqttConnectorXML), "--admin", "127.0.0.1:0")
	qos0SlowReader(t, b, b, func() {})
}

// slowReaderPolicy gives telemetry subscribers a pending limit of 100
// messages: far less than a slow reader falls behind by.
const slowReaderPolicy = `<destinationPolicy><policyMap><policyEntries>
  <policyEntry topic="telemetry.>" topicPrefetch="100">
    <pendingMessageLimitStrategy><constantPendingMessageLimitStrategy limit="100"/></pendingMessageLimitStrategy>
  </policyEntry>
</policyEntries></policyMap></destinationPolicy>`

// qos0SlowReader publishes 20,000 QoS 0 messages of 1 KiB with paho on pb
// to a paho subscriber on sb that reads slower than that, and fails unless
// every message arrives, in order, and sb's dropped counter stays put.
// ready runs once the subscription is in place (a bridge waits for its
// demand there); check runs while waiting and at the end.
func qos0SlowReader(t *testing.T, pb, sb *proc, ready func(), check ...func()) {
	const n, size = 20000, 1024
	var (
		mu    sync.Mutex
		got   int
		order error
	)
	done := make(chan struct{})
	sub := pahoConnect(t, pahoOpts(sb, "historian"))
	tok := sub.Subscribe("telemetry/#", 0, func(_ mqtt.Client, m mqtt.Message) {
		mu.Lock()
		defer mu.Unlock()
		if seq, _ := strconv.Atoi(string(m.Payload()[:8])); seq != got && order == nil {
			order = fmt.Errorf("message %d arrived as %d", got, seq)
		}
		if got++; got == n {
			close(done)
		}
		if got%100 == 0 {
			time.Sleep(time.Millisecond) // a historian writing to disk (paho reads no more meanwhile)
		}
	})
	if err := wait(t, tok); err != nil {
		t.Fatal(err)
	}
	ready()
	before := metricValue(t, sb, "hashi_messages_dropped_total")
	pub := pahoConnect(t, pahoOpts(pb, "sensor"))
	pad := strings.Repeat("x", size-8)
	for i := range n {
		pub.Publish("telemetry/line-3/vibration", 0, false, fmt.Sprintf("%08d%s", i, pad))
	}
	deadline := time.After(60 * time.Second)
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
wait:
	for {
		select {
		case <-done:
			break wait
		case <-tick.C:
			if d := metricValue(t, sb, "hashi_messages_dropped_total"); d != before {
				mu.Lock()
				defer mu.Unlock()
				t.Fatalf("%v messages dropped for a subscriber that reads (it has %d of %d)", d-before, got, n)
			}
			for _, c := range check {
				c()
			}
		case <-deadline:
			mu.Lock()
			defer mu.Unlock()
			t.Fatalf("subscriber got %d of %d", got, n)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if order != nil {
		t.Fatal(order)
	}
	if after := metricValue(t, sb, "hashi_messages_dropped_total"); after != before {
		t.Fatalf("hashi_messages_dropped_total went from %v to %v", before, after)
	}
	for _, c := range check {
		c()
	}
}
