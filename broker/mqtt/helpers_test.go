package mqtt_test

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/hashi-broker/hashi/broker"
	"github.com/hashi-broker/hashi/broker/dest"
	"github.com/hashi-broker/hashi/broker/mqtt"
	"github.com/hashi-broker/hashi/broker/mqtt/packet"
	"github.com/hashi-broker/hashi/broker/server"
	"github.com/hashi-broker/hashi/broker/server/servertest"
)

// Tests here run a whole broker in process (broker/server assembled from
// activemq.xml text) and speak to it over TCP with raw packets encoded by the
// codec, so every assertion is about bytes on the wire.

func TestMain(m *testing.M) {
	// Every goroutine of the server must be gone once all brokers stopped.
	goleak.VerifyTestMain(m)
}

// ioTimeout bounds every read a test expects to succeed.
const ioTimeout = 5 * time.Second

const mqttConnector = `<transportConnectors>
  <transportConnector name="mqtt" uri="mqtt://127.0.0.1:0%s"/>
</transportConnectors>`

// testBroker is one in-process broker with an MQTT connector on a random port.
type testBroker struct {
	*servertest.Broker
	t    testing.TB
	addr string
}

// startBroker starts a broker whose <broker> element holds children (the
// MQTT connector is added unless children already declares connectors).
func startBroker(t testing.TB, children string) *testBroker {
	t.Helper()
	return startBrokerOpts(t, children, mqtt.Options{})
}

// startBrokerOpts is startBroker with MQTT server options.
func startBrokerOpts(t testing.TB, children string, opts mqtt.Options) *testBroker {
	t.Helper()
	if !strings.Contains(children, "<transportConnectors>") {
		children += fmt.Sprintf(mqttConnector, "")
	}
	b := servertest.Start(t, children, server.Options{MQTT: opts})
	return &testBroker{Broker: b, t: t, addr: b.Addr("mqtt")}
}

// client is a raw MQTT peer: it writes packets encoded by the codec and
// decodes what the server sends.
type client struct {
	t  testing.TB
	nc net.Conn
	r  *packet.Reader
	v  byte
}

// dial opens a TCP connection speaking protocol level v (nothing sent yet).
func (b *testBroker) dial(v byte) *client {
	b.t.Helper()
	nc, err := net.DialTimeout("tcp", b.addr, ioTimeout)
	if err != nil {
		b.t.Fatal(err)
	}
	b.t.Cleanup(func() { nc.Close() })
	r := packet.NewReader(nc, 64*1024)
	r.SetVersion(v)
	return &client{t: b.t, nc: nc, r: r, v: v}
}

// connect dials and completes CONNECT/CONNACK, failing unless accepted.
func (b *testBroker) connect(v byte, cp *packet.Connect) (*client, *packet.Connack) {
	b.t.Helper()
	c := b.dial(v)
	ack := c.handshake(cp)
	if ack.ReasonCode != packet.Success {
		b.t.Fatalf("CONNACK %v for %q", ack.ReasonCode, cp.ClientID)
	}
	return c, ack
}

// connect311 / connect5 are the common cases: a named client with keep
// alive off; clean says whether the session starts clean.
func (b *testBroker) connect311(id string, clean bool) *client {
	b.t.Helper()
	c, _ := b.connect(packet.V311, &packet.Connect{ClientID: id, CleanStart: clean})
	return c
}

func (b *testBroker) connect5(id string, props *packet.Properties) (*client, *packet.Connack) {
	b.t.Helper()
	return b.connect(packet.V5, &packet.Connect{ClientID: id, CleanStart: true, Properties: props})
}

// handshake sends cp and returns the CONNACK.
func (c *client) handshake(cp *packet.Connect) *packet.Connack {
	c.t.Helper()
	c.send(cp)
	return expect[*packet.Connack](c)
}

func (c *client) send(p packet.Packet) {
	c.t.Helper()
	buf, err := packet.Append(nil, p, c.v)
	if err != nil {
		c.t.Fatalf("encode %s: %v", p.Type(), err)
	}
	c.sendRaw(buf)
}

func (c *client) sendRaw(b []byte) {
	c.t.Helper()
	c.nc.SetWriteDeadline(time.Now().Add(ioTimeout))
	if _, err := c.nc.Write(b); err != nil {
		c.t.Fatalf("write: %v", err)
	}
}

// next reads one packet, waiting at most d.
func (c *client) next(d time.Duration) (packet.Packet, error) {
	c.nc.SetReadDeadline(time.Now().Add(d))
	return c.r.Read()
}

// read returns the next packet or fails the test.
func (c *client) read() packet.Packet {
	c.t.Helper()
	p, err := c.next(ioTimeout)
	if err != nil {
		c.t.Fatalf("read: %v", err)
	}
	return p
}

// expect reads the next packet and fails unless it is a T.
func expect[T packet.Packet](c *client) T {
	c.t.Helper()
	p := c.read()
	v, ok := p.(T)
	if !ok {
		var want T
		c.t.Fatalf("got %s %+v, want %T", p.Type(), p, want)
	}
	return v
}

// expectClosed reads until the server closes the connection and returns what
// it sent before closing. It fails if the connection stays open for d.
func (c *client) expectClosed(d time.Duration) []packet.Packet {
	c.t.Helper()
	deadline := time.Now().Add(d)
	var got []packet.Packet
	for {
		c.nc.SetReadDeadline(deadline)
		p, err := c.r.Read()
		switch {
		case err == nil:
			got = append(got, p)
			continue
		case errors.Is(err, os.ErrDeadlineExceeded):
			c.t.Fatalf("connection still open after %v (got %v)", d, types(got))
		case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), isReset(err):
			return got
		default:
			c.t.Fatalf("unexpected read error: %v", err)
		}
	}
}

func isReset(err error) bool {
	var ne *net.OpError
	return errors.As(err, &ne) && (strings.Contains(ne.Err.Error(), "reset") || strings.Contains(ne.Err.Error(), "closed"))
}

func types(ps []packet.Packet) []string {
	var s []string
	for _, p := range ps {
		s = append(s, p.Type().String())
	}
	return s
}

// expectDisconnect expects an MQTT 5 DISCONNECT with code, then the close.
func (c *client) expectDisconnect(code packet.ReasonCode, d time.Duration) {
	c.t.Helper()
	got := c.expectClosed(d)
	if len(got) == 0 {
		c.t.Fatalf("connection closed without DISCONNECT %v", code)
	}
	dp, ok := got[len(got)-1].(*packet.Disconnect)
	if !ok || dp.ReasonCode != code {
		c.t.Fatalf("last packet before close %+v, want DISCONNECT %#x (%v)", got[len(got)-1], byte(code), code)
	}
}

func (c *client) subscribe(pid uint16, props *packet.Properties, subs ...packet.Subscription) *packet.Suback {
	c.t.Helper()
	c.send(&packet.Subscribe{PacketID: pid, Properties: props, Subscriptions: subs})
	sa := expect[*packet.Suback](c)
	if sa.PacketID != pid {
		c.t.Fatalf("SUBACK for %d, want %d", sa.PacketID, pid)
	}
	return sa
}

// sub subscribes to one filter and checks it was granted qos.
func (c *client) sub(filter string, qos byte) {
	c.t.Helper()
	sa := c.subscribe(1, nil, packet.Subscription{Filter: filter, QoS: qos})
	if len(sa.ReasonCodes) != 1 || sa.ReasonCodes[0] != packet.ReasonCode(qos) {
		c.t.Fatalf("SUBACK %v for %s, want QoS %d", sa.ReasonCodes, filter, qos)
	}
}

// pub publishes and completes the QoS flow, returning the ack's code.
func (c *client) pub(p *packet.Publish) packet.ReasonCode {
	c.t.Helper()
	c.send(p)
	switch p.QoS {
	case 1:
		a := expect[*packet.Ack](c)
		if a.PacketType != packet.TypePuback || a.PacketID != p.PacketID {
			c.t.Fatalf("got %s %d, want PUBACK %d", a.PacketType, a.PacketID, p.PacketID)
		}
		return a.ReasonCode
	case 2:
		a := expect[*packet.Ack](c)
		if a.PacketType != packet.TypePubrec || a.PacketID != p.PacketID {
			c.t.Fatalf("got %s %d, want PUBREC %d", a.PacketType, a.PacketID, p.PacketID)
		}
		if a.ReasonCode.IsError() {
			return a.ReasonCode
		}
		c.send(&packet.Ack{PacketType: packet.TypePubrel, PacketID: p.PacketID})
		comp := expect[*packet.Ack](c)
		if comp.PacketType != packet.TypePubcomp || comp.PacketID != p.PacketID {
			c.t.Fatalf("got %s %d, want PUBCOMP %d", comp.PacketType, comp.PacketID, p.PacketID)
		}
		return a.ReasonCode
	}
	return packet.Success
}

// publish is pub for a plain message.
func (c *client) publish(topic, payload string, qos byte, pid uint16) {
	c.t.Helper()
	c.pub(&packet.Publish{Topic: topic, Payload: []byte(payload), QoS: qos, PacketID: pid})
}

// recv reads the next PUBLISH, acknowledging QoS 1 (PUBACK) and QoS 2
// (PUBREC, PUBREL, PUBCOMP) deliveries.
func (c *client) recv() *packet.Publish {
	c.t.Helper()
	p := expect[*packet.Publish](c)
	c.ackPublish(p)
	return p
}

func (c *client) ackPublish(p *packet.Publish) {
	c.t.Helper()
	switch p.QoS {
	case 1:
		c.send(&packet.Ack{PacketType: packet.TypePuback, PacketID: p.PacketID})
	case 2:
		c.send(&packet.Ack{PacketType: packet.TypePubrec, PacketID: p.PacketID})
		rel := expect[*packet.Ack](c)
		if rel.PacketType != packet.TypePubrel || rel.PacketID != p.PacketID {
			c.t.Fatalf("got %s %d, want PUBREL %d", rel.PacketType, rel.PacketID, p.PacketID)
		}
		c.send(&packet.Ack{PacketType: packet.TypePubcomp, PacketID: p.PacketID})
	}
}

// recvPayloads receives n PUBLISHes and returns their payloads.
func (c *client) recvPayloads(n int) []string {
	c.t.Helper()
	var out []string
	for range n {
		out = append(out, string(c.recv().Payload))
	}
	return out
}

// ping round-trips a PINGREQ: everything the server queued for the client
// before the PINGRESP has arrived once it returns. Packets received before
// the PINGRESP are returned.
func (c *client) ping() []packet.Packet {
	c.t.Helper()
	c.send(&packet.Pingreq{})
	var got []packet.Packet
	for {
		p := c.read()
		if _, ok := p.(*packet.Pingresp); ok {
			return got
		}
		got = append(got, p)
	}
}

// expectNothing checks that no packet is waiting, by a PINGREQ round trip.
func (c *client) expectNothing(what string) {
	c.t.Helper()
	if got := c.ping(); len(got) > 0 {
		c.t.Fatalf("%s: got unexpected %v (%+v)", what, types(got), got[0])
	}
}

// disconnect sends DISCONNECT and waits for the server to close; the server
// sends nothing back [MQTT-3.14.4-3].
func (c *client) disconnect() {
	c.t.Helper()
	c.send(&packet.Disconnect{})
	if got := c.expectClosed(ioTimeout); len(got) > 0 {
		c.t.Fatalf("server answered DISCONNECT with %v %+v", types(got), got[0])
	}
}

// drop closes the socket without DISCONNECT (a network failure).
func (c *client) drop() { c.nc.Close() }

// props builds MQTT 5 properties: fn fills values, ids marks them present.
func props(fn func(p *packet.Properties), ids ...packet.PropID) *packet.Properties {
	p := &packet.Properties{}
	for _, id := range ids {
		p.Set(id)
	}
	if fn != nil {
		fn(p)
	}
	return p
}

// publishCore publishes a QoS 0 message through the broker core, as the
// broker itself or another protocol would.
func publishCore(b *testBroker, topic, payload string) int {
	return b.Srv.Core().Publish(&broker.Message{Dest: dest.T(dest.FromMQTT(topic)), Payload: []byte(payload)})
}
