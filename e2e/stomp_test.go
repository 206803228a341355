package e2e

import (
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-stomp/stomp/v3"
	"github.com/go-stomp/stomp/v3/frame"

	wire "github.com/hashi-broker/hashi/broker/stomp/frame"
)

// STOMP against the hashi binary with go-stomp, mosquitto clients on the
// other side of the shared destination space, and raw sockets where the
// client library hides what the wire says.

const allConnectorsXML = `<transportConnectors>
  <transportConnector name="stomp" uri="stomp://127.0.0.1:0"/>
  <transportConnector name="mqtt" uri="mqtt://127.0.0.1:0"/>
  <transportConnector name="ws" uri="ws://127.0.0.1:0"/>
  <transportConnector name="auto" uri="tcp://127.0.0.1:0"/>
</transportConnectors>`

// stompConn connects go-stomp to the named connector of b.
func stompConn(t testing.TB, b *proc, connector string, opts ...func(*stomp.Conn) error) *stomp.Conn {
	t.Helper()
	c, err := stomp.Dial("tcp", b.addr(connector), append([]func(*stomp.Conn) error{stomp.ConnOpt.Logger(quiet{})}, opts...)...)
	if err != nil {
		t.Fatalf("stomp connect: %v", err)
	}
	t.Cleanup(func() { c.MustDisconnect() })
	return c
}

// quiet is a go-stomp Logger that drops its chatter about closed
// subscriptions.
type quiet struct{}

func (quiet) Debugf(string, ...any)   {}
func (quiet) Infof(string, ...any)    {}
func (quiet) Warningf(string, ...any) {}
func (quiet) Errorf(string, ...any)   {}
func (quiet) Debug(string)            {}
func (quiet) Info(string)             {}
func (quiet) Warning(string)          {}
func (quiet) Error(string)            {}

func stompSub(t testing.TB, c *stomp.Conn, dest string, ack stomp.AckMode, hdr ...string) *stomp.Subscription {
	t.Helper()
	var opts []func(*frame.Frame) error
	for i := 0; i+1 < len(hdr); i += 2 {
		opts = append(opts, stomp.SubscribeOpt.Header(hdr[i], hdr[i+1]))
	}
	s, err := c.Subscribe(dest, ack, opts...)
	if err != nil {
		t.Fatalf("subscribe %s: %v", dest, err)
	}
	stompSync(t, c)
	return s
}

// stompSync makes a round trip on c: once the RECEIPT is back, every frame
// sent before (a SUBSCRIBE) has been handled.
func stompSync(t testing.TB, c *stomp.Conn) {
	t.Helper()
	if err := c.Send("/topic/e2e.sync", "", nil, stomp.SendOpt.Receipt); err != nil {
		t.Fatalf("sync: %v", err)
	}
}

func stompSend(t testing.TB, c *stomp.Conn, dest string, body []byte, hdr ...string) {
	t.Helper()
	opts := []func(*frame.Frame) error{stomp.SendOpt.Receipt}
	for i := 0; i+1 < len(hdr); i += 2 {
		opts = append(opts, stomp.SendOpt.Header(hdr[i], hdr[i+1]))
	}
	if err := c.Send(dest, "", body, opts...); err != nil {
		t.Fatalf("send %s: %v", dest, err)
	}
}

// recv returns the next message of s, failing after d.
func recv(t testing.TB, s *stomp.Subscription, d time.Duration) *stomp.Message {
	t.Helper()
	select {
	case m, ok := <-s.C:
		if !ok {
			t.Fatalf("subscription %s closed", s.Destination())
		}
		if m.Err != nil {
			t.Fatalf("subscription %s: %v", s.Destination(), m.Err)
		}
		return m
	case <-time.After(d):
		t.Fatalf("no message on %s within %v", s.Destination(), d)
		return nil
	}
}

// rawStomp is a STOMP peer on a plain socket, using Hashi's codec.
type rawStomp struct {
	t  testing.TB
	nc net.Conn
	r  *wire.Reader
}

func dialStomp(t testing.TB, addr string, hdr ...string) *rawStomp {
	t.Helper()
	nc, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	c := &rawStomp{t: t, nc: nc, r: wire.NewReader(nc, 0)}
	c.send(frame.CONNECT, append([]string{frame.AcceptVersion, "1.2", "host", "localhost"}, hdr...)...)
	c.expect(frame.CONNECTED)
	c.r.Version = "1.2"
	return c
}

func (c *rawStomp) send(cmd string, hdr ...string) {
	c.t.Helper()
	c.nc.SetWriteDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.nc.Write(wire.Append(nil, frame.New(cmd, hdr...), "1.2")); err != nil {
		c.t.Fatal(err)
	}
}

func (c *rawStomp) expect(cmd string) *frame.Frame {
	c.t.Helper()
	c.nc.SetReadDeadline(time.Now().Add(10 * time.Second))
	for {
		f, err := c.r.Read()
		if err != nil {
			c.t.Fatalf("waiting for %s: %v", cmd, err)
		}
		if f == nil {
			continue
		}
		if f.Command != cmd {
			c.t.Fatalf("got %s %v %q, want %s", f.Command, f.Header, f.Body, cmd)
		}
		return f
	}
}

// A STOMP SEND to /topic/devices.42.command reaches an MQTT subscriber of
// devices/42/command byte for byte, and an MQTT publish to devices/42/state
// reaches a STOMP subscriber of /topic/devices.> with content-length.
func TestStompMQTTCrossProtocol(t *testing.T) {
	t.Parallel()
	b := startBroker(t, brokerXML("", allConnectorsXML))
	h, p := "127.0.0.1", b.port("mqtt")
	binary := []byte("\x00\x01lock\x00\xff\xfe\n\r\x7f")
	text := []byte(`{"action":"unlock","nonce":"n1"}`)

	t.Run("stomp to mqtt", func(t *testing.T) {
		sub := startSub(t, "-h", h, "-p", p, "-t", "devices/42/command", "-q", "1", "-F", "%t %x")
		c := stompConn(t, b, "stomp")
		stompSend(t, c, "/topic/devices.42.command", text, "content-type", "application/json")
		stompSend(t, c, "/topic/devices.42.command", binary)
		got := sub.waitMessages(2)
		want := []string{"devices/42/command " + hex.EncodeToString(text), "devices/42/command " + hex.EncodeToString(binary)}
		if !slices.Equal(got, want) {
			t.Fatalf("mosquitto_sub got %q, want %q", got, want)
		}
	})

	t.Run("mqtt to stomp", func(t *testing.T) {
		c := stompConn(t, b, "stomp")
		s := stompSub(t, c, "/topic/devices.>", stomp.AckAuto)
		file := filepath.Join(t.TempDir(), "payload")
		if err := os.WriteFile(file, binary, 0o644); err != nil {
			t.Fatal(err)
		}
		mustPub(t, "-h", h, "-p", p, "-t", "devices/42/state", "-q", "1", "-f", file)
		mustPub(t, "-h", h, "-p", p, "-t", "devices/42/state", "-q", "1", "-m", string(text))
		for _, want := range [][]byte{binary, text} {
			m := recv(t, s, 10*time.Second)
			if string(m.Body) != string(want) || m.Header.Get("content-length") != strconv.Itoa(len(want)) ||
				m.Destination != "/topic/devices.42.state" {
				t.Fatalf("got %q (content-length %q, destination %q), want %q",
					m.Body, m.Header.Get("content-length"), m.Destination, want)
			}
		}
	})
}

// Three competing consumers share a queue: every message is consumed once.
func TestStompCompetingConsumers(t *testing.T) {
	t.Parallel()
	b := startBroker(t, brokerXML("", allConnectorsXML))
	const n = 90
	var subs []*stomp.Subscription
	var conns []*stomp.Conn
	for i := 0; i < 3; i++ {
		c := stompConn(t, b, "stomp")
		conns = append(conns, c)
		subs = append(subs, stompSub(t, c, "/queue/work", stomp.AckClientIndividual))
	}
	p := stompConn(t, b, "stomp")
	for i := 0; i < n; i++ {
		stompSend(t, p, "/queue/work", []byte(fmt.Sprintf("job-%02d", i)))
	}
	seen := map[string]int{}
	counts := make([]int, 3)
	deadline := time.After(20 * time.Second)
	take := func(i int, m *stomp.Message) {
		if m.Err != nil {
			t.Fatalf("consumer %d: %v", i, m.Err)
		}
		conns[i].Ack(m)
		seen[string(m.Body)]++
		counts[i]++
	}
	for got := 0; got < n; got++ {
		select {
		case m := <-subs[0].C:
			take(0, m)
		case m := <-subs[1].C:
			take(1, m)
		case m := <-subs[2].C:
			take(2, m)
		case <-deadline:
			t.Fatalf("consumed %d of %d (shares %v)", got, n, counts)
		}
	}
	for i, c := range conns {
		stompSync(t, c)
		select {
		case m := <-subs[i].C:
			t.Fatalf("consumer %d got %q beyond the %d sent", i, m.Body, n)
		default:
		}
	}
	total := 0
	for body, k := range seen {
		if k != 1 {
			t.Errorf("%s consumed %d times", body, k)
		}
		total += k
	}
	if total != n || len(seen) != n {
		t.Fatalf("consumed %d messages (%d distinct), want %d", total, len(seen), n)
	}
	for i, k := range counts {
		if k == 0 {
			t.Errorf("consumer %d got nothing (shares %v)", i, counts)
		}
	}
	t.Logf("shares %v", counts)
}

// A consumer that dies holding unacknowledged messages: they go to the
// others marked redelivered; none is lost, none consumed twice.
func TestStompConsumerDies(t *testing.T) {
	t.Parallel()
	b := startBroker(t, brokerXML("", allConnectorsXML))
	const n, held = 60, 5
	nc, err := net.Dial("tcp", b.addr("stomp"))
	if err != nil {
		t.Fatal(err)
	}
	doomed, err := stomp.Connect(nc, stomp.ConnOpt.Logger(quiet{}))
	if err != nil {
		t.Fatal(err)
	}
	ds := stompSub(t, doomed, "/queue/orders", stomp.AckClientIndividual, "activemq.prefetchSize", strconv.Itoa(held))
	var live []*stomp.Subscription
	var liveConns []*stomp.Conn
	for i := 0; i < 2; i++ {
		c := stompConn(t, b, "stomp")
		liveConns = append(liveConns, c)
		live = append(live, stompSub(t, c, "/queue/orders", stomp.AckClientIndividual))
	}
	p := stompConn(t, b, "stomp")
	for i := 0; i < n; i++ {
		stompSend(t, p, "/queue/orders", []byte(fmt.Sprintf("order-%02d", i)))
	}
	var doomedGot []string
	for len(doomedGot) < held {
		doomedGot = append(doomedGot, string(recv(t, ds, 10*time.Second).Body))
	}
	nc.Close() // no DISCONNECT, no ACK

	consumed := map[string]int{}
	redelivered := map[string]bool{}
	deadline := time.After(20 * time.Second)
	for len(consumed) < n {
		var m *stomp.Message
		var c *stomp.Conn
		select {
		case m = <-live[0].C:
			c = liveConns[0]
		case m = <-live[1].C:
			c = liveConns[1]
		case <-deadline:
			t.Fatalf("live consumers got %d of %d", len(consumed), n)
		}
		if m.Err != nil {
			t.Fatal(m.Err)
		}
		c.Ack(m)
		consumed[string(m.Body)]++
		if m.Header.Get("redelivered") == "true" {
			redelivered[string(m.Body)] = true
		}
	}
	for body, k := range consumed {
		if k != 1 {
			t.Errorf("%s consumed %d times by the live consumers", body, k)
		}
	}
	slices.Sort(doomedGot)
	var redel []string
	for body := range redelivered {
		redel = append(redel, body)
	}
	slices.Sort(redel)
	if !slices.Equal(redel, doomedGot) {
		t.Fatalf("redelivered:true on %q, want exactly the dead consumer's %q", redel, doomedGot)
	}
}

// Virtual topics: each consumer group's queue gets every message, and the
// consumers of a group share it. MQTT publishes to the virtual topic too.
func TestStompVirtualTopics(t *testing.T) {
	t.Parallel()
	b := startBroker(t, brokerXML("", allConnectorsXML))
	const n = 20
	g1a, g1b, g2 := stompConn(t, b, "stomp"), stompConn(t, b, "stomp"), stompConn(t, b, "stomp")
	s1a := stompSub(t, g1a, "/queue/Consumer.Billing.VirtualTopic.Orders", stomp.AckAuto)
	s1b := stompSub(t, g1b, "/queue/Consumer.Billing.VirtualTopic.Orders", stomp.AckAuto)
	s2 := stompSub(t, g2, "/queue/Consumer.Shipping.VirtualTopic.Orders", stomp.AckAuto)
	p := stompConn(t, b, "stomp")
	for i := 0; i < n-1; i++ {
		stompSend(t, p, "/topic/VirtualTopic.Orders", []byte(fmt.Sprintf("o%02d", i)))
	}
	mustPub(t, "-h", "127.0.0.1", "-p", b.port("mqtt"), "-t", "VirtualTopic/Orders", "-q", "1", "-m", fmt.Sprintf("o%02d", n-1))

	var shipping []string
	for len(shipping) < n {
		shipping = append(shipping, string(recv(t, s2, 10*time.Second).Body))
	}
	for i, body := range shipping {
		if want := fmt.Sprintf("o%02d", i); body != want {
			t.Fatalf("shipping message %d = %q, want %q", i, body, want)
		}
	}
	billing := map[string]int{}
	perConsumer := [2]int{}
	deadline := time.After(10 * time.Second)
	for len(billing) < n {
		select {
		case m := <-s1a.C:
			billing[string(m.Body)]++
			perConsumer[0]++
		case m := <-s1b.C:
			billing[string(m.Body)]++
			perConsumer[1]++
		case <-deadline:
			t.Fatalf("billing group got %d of %d", len(billing), n)
		}
	}
	stompSync(t, g1a)
	stompSync(t, g1b)
	select {
	case m := <-s1a.C:
		t.Fatalf("extra message %q for billing", m.Body)
	case m := <-s1b.C:
		t.Fatalf("extra message %q for billing", m.Body)
	default:
	}
	if perConsumer[0] == 0 || perConsumer[1] == 0 || perConsumer[0]+perConsumer[1] != n {
		t.Fatalf("billing consumers got %v, want a share each and %d in all", perConsumer, n)
	}
}

// A topic subscriber that never reads does not hold back a fast one; what
// waits for it beyond the pending limit is dropped, oldest first.
func TestStompSlowTopicSubscriber(t *testing.T) {
	t.Parallel()
	b := startBroker(t, brokerXML("", `<destinationPolicy><policyMap><policyEntries>
  <policyEntry topic="firehose.>" topicPrefetch="100">
    <pendingMessageLimitStrategy><constantPendingMessageLimitStrategy limit="100"/></pendingMessageLimitStrategy>
  </policyEntry>
</policyEntries></policyMap></destinationPolicy>`+allConnectorsXML))
	slow := dialStomp(t, b.addr("stomp"))
	slow.send(frame.SUBSCRIBE, frame.Destination, "/topic/firehose.telemetry", frame.Id, "1", frame.Receipt, "s")
	slow.expect(frame.RECEIPT)
	fastConn := stompConn(t, b, "stomp")
	fast := stompSub(t, fastConn, "/topic/firehose.telemetry", stomp.AckAuto)

	// 8 MiB: more than the sockets of the slow subscriber can buffer. The
	// fast one reads as they come; the publisher lets it fall at most 50
	// behind, so only the slow one ever reaches the pending limit (200).
	const n, size = 2000, 4 << 10
	var fastGot atomic.Int64
	errc := make(chan error, 1)
	go func() {
		for i := 0; i < n; i++ {
			select {
			case m := <-fast.C:
				if m.Err != nil {
					errc <- m.Err
					return
				}
				if want := fmt.Sprintf("%05d", i); !strings.HasPrefix(string(m.Body), want) {
					errc <- fmt.Errorf("message %d is %.5s", i, m.Body)
					return
				}
				fastGot.Add(1)
			case <-time.After(15 * time.Second):
				errc <- fmt.Errorf("stalled after %d messages", i)
				return
			}
		}
		errc <- nil
	}()
	p := stompConn(t, b, "stomp")
	pad := strings.Repeat("x", size)
	for i := 0; i < n; i++ {
		if i%50 == 0 {
			waitFor(t, 15*time.Second, fmt.Sprintf("fast subscriber to keep up at %d", i), func() bool {
				select {
				case err := <-errc:
					t.Fatalf("fast subscriber: %v", err)
				default:
				}
				return fastGot.Load() >= int64(i-50)
			})
		}
		if err := p.Send("/topic/firehose.telemetry", "", []byte(fmt.Sprintf("%05d", i)+pad)); err != nil {
			t.Fatalf("send %d: %v", i, err)
		}
	}
	if err := <-errc; err != nil {
		t.Fatalf("fast subscriber: %v", err)
	}
	// The slow one now reads: it missed messages, but the newest is there.
	received, last := 0, ""
	for last != fmt.Sprintf("%05d", n-1) {
		f := slow.expect(frame.MESSAGE)
		received++
		last = string(f.Body[:5])
	}
	if received >= n {
		t.Fatalf("slow subscriber got all %d messages: nothing was dropped", n)
	}
	t.Logf("slow subscriber got %d of %d", received, n)
}

const stompAuthzXML = `<plugins>
  <simpleAuthenticationPlugin anonymousAccessAllowed="false"><users>
    <authenticationUser username="app" password="app-pass" groups="apps"/>
    <authenticationUser username="monitor" password="mon-pass" groups="monitors"/>
  </users></simpleAuthenticationPlugin>
  <authorizationPlugin><map><authorizationMap><authorizationEntries>
    <authorizationEntry queue="orders" read="apps" write="apps" admin="apps"/>
    <authorizationEntry topic="devices.>" read="apps,monitors" write="apps" admin="apps,monitors"/>
  </authorizationEntries></authorizationMap></map></authorizationPlugin>
</plugins>`

// Denied SEND and SUBSCRIBE come back as ERROR frames in ActiveMQ's words;
// the broker keeps the connection open (go-stomp closes its side on ERROR,
// so a raw socket checks that).
func TestStompDenied(t *testing.T) {
	t.Parallel()
	b := startBroker(t, brokerXML("", stompAuthzXML+allConnectorsXML))
	mon := stompConn(t, b, "stomp", stomp.ConnOpt.Login("monitor", "mon-pass"))
	err := mon.Send("/queue/orders", "text/plain", []byte("x"), stomp.SendOpt.Receipt)
	if err == nil || !strings.Contains(err.Error(), "User monitor is not authorized to write to: queue://orders") {
		t.Fatalf("denied SEND: %v", err)
	}
	mon2 := stompConn(t, b, "stomp", stomp.ConnOpt.Login("monitor", "mon-pass"))
	s, err := mon2.Subscribe("/queue/orders", stomp.AckAuto)
	if err != nil {
		t.Fatal(err)
	}
	select {
	case m := <-s.C:
		if m.Err == nil || !strings.Contains(m.Err.Error(), "User monitor is not authorized to read from: queue://orders") {
			t.Fatalf("denied SUBSCRIBE: %v %q", m.Err, m.Body)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no ERROR for a denied SUBSCRIBE")
	}
	if _, err := stomp.Dial("tcp", b.addr("stomp"), stomp.ConnOpt.Login("monitor", "nope")); err == nil ||
		!strings.Contains(err.Error(), "User name [monitor] or password is invalid.") {
		t.Fatalf("bad password: %v", err)
	}

	raw := dialStomp(t, b.addr("stomp"), frame.Login, "monitor", frame.Passcode, "mon-pass")
	raw.send(frame.SEND, frame.Destination, "/queue/orders")
	e := raw.expect(frame.ERROR)
	if e.Header.Get(frame.Message) != "User monitor is not authorized to write to: queue://orders" {
		t.Fatalf("ERROR %v %q", e.Header, e.Body)
	}
	raw.send(frame.SUBSCRIBE, frame.Destination, "/topic/devices.>", frame.Id, "d", frame.Receipt, "ok")
	raw.expect(frame.RECEIPT)
	app := stompConn(t, b, "stomp", stomp.ConnOpt.Login("app", "app-pass"))
	stompSend(t, app, "/topic/devices.7.state", []byte("locked"))
	if m := raw.expect(frame.MESSAGE); string(m.Body) != "locked" {
		t.Fatalf("after the denial the connection delivered %q", m.Body)
	}
	waitFor(t, 5*time.Second, "denials logged", func() bool { return len(b.find("denied")) >= 2 })
}

// The auto-detecting tcp:// connector serves STOMP and MQTT clients on one
// port, and closes OpenWire clients with a log line that says why.
func TestAutoConnector(t *testing.T) {
	t.Parallel()
	b := startBroker(t, brokerXML("", allConnectorsXML))
	h, p := "127.0.0.1", b.port("auto")
	sub := startSub(t, "-h", h, "-p", p, "-t", "devices/+/state", "-v", "-q", "1")
	c := stompConn(t, b, "auto")
	s := stompSub(t, c, "/topic/devices.*.command", stomp.AckAuto)
	stompSend(t, c, "/topic/devices.9.state", []byte("open"))
	mustPub(t, "-h", h, "-p", p, "-t", "devices/9/command", "-q", "1", "-m", "lock")
	if got := sub.waitMessages(1); got[0] != "devices/9/state open" {
		t.Fatalf("mosquitto_sub on the auto port got %q", got)
	}
	if m := recv(t, s, 10*time.Second); string(m.Body) != "lock" || m.Destination != "/topic/devices.9.command" {
		t.Fatalf("go-stomp on the auto port got %q on %s", m.Body, m.Destination)
	}

	nc, err := net.Dial("tcp", b.addr("auto"))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	nc.Write([]byte("\x00\x00\x01\x06\x01ActiveMQ\x00\x00\x00\x0c\x01\x00\x00\x00"))
	nc.SetReadDeadline(time.Now().Add(10 * time.Second))
	if rest, err := io.ReadAll(nc); err != nil || len(rest) != 0 {
		t.Fatalf("OpenWire client: read %q, %v; want the connection closed", rest, err)
	}
	waitFor(t, 5*time.Second, "OpenWire log line", func() bool {
		for _, l := range b.find("protocol not recognised") {
			if strings.Contains(fmt.Sprint(l["error"]), "OpenWire") {
				return true
			}
		}
		return false
	})
}
