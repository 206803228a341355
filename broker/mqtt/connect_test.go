package mqtt_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/hashi-broker/hashi/broker/mqtt/packet"
	"github.com/hashi-broker/hashi/broker/server/servertest"
)

// [MQTT-3.1.0-1] The first packet sent from the client to the server MUST be
// a CONNECT packet: anything else closes the connection unanswered.
func TestFirstPacketNotConnect_MQTT_3_1_0_1(t *testing.T) {
	t.Parallel()
	b := startBroker(t, "")
	for _, p := range []packet.Packet{
		&packet.Pingreq{},
		&packet.Publish{Topic: "a/b", Payload: []byte("x")},
		&packet.Subscribe{PacketID: 1, Subscriptions: []packet.Subscription{{Filter: "#"}}},
	} {
		c := b.dial(packet.V311)
		c.send(p)
		if got := c.expectClosed(ioTimeout); len(got) != 0 {
			t.Errorf("%s as first packet: server answered %v before closing", p.Type(), types(got))
		}
	}
}

// [MQTT-3.1.0-2] A second CONNECT is a protocol violation: the connection is
// closed (MQTT 5: DISCONNECT 0x82 first).
func TestSecondConnect_MQTT_3_1_0_2(t *testing.T) {
	t.Parallel()
	b := startBroker(t, "")
	c := b.connect311("twice", true)
	c.send(&packet.Connect{ClientID: "twice", CleanStart: true})
	if got := c.expectClosed(ioTimeout); len(got) != 0 {
		t.Errorf("3.1.1: server sent %v before closing", types(got))
	}

	c5, _ := b.connect5("twice5", nil)
	c5.send(&packet.Connect{ClientID: "twice5", CleanStart: true})
	c5.expectDisconnect(packet.ProtocolError, ioTimeout)
}

// [MQTT-3.1.2-2] An unsupported protocol level is answered with CONNACK
// return code 0x01 (3.1.1 encoding) and the connection is closed.
func TestUnsupportedProtocolLevel_MQTT_3_1_2_2(t *testing.T) {
	t.Parallel()
	b := startBroker(t, "")
	c := b.dial(packet.V311)
	// CONNECT "MQTT" level 6, clean session, keep alive 0, client id "x".
	c.sendRaw([]byte{0x10, 13, 0, 4, 'M', 'Q', 'T', 'T', 6, 0x02, 0, 0, 0, 1, 'x'})
	c.nc.SetReadDeadline(time.Now().Add(ioTimeout))
	got, err := io.ReadAll(c.nc)
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	if want := []byte{0x20, 0x02, 0x00, 0x01}; !bytes.Equal(got, want) {
		t.Fatalf("server sent % x then closed, want % x", got, want)
	}
}

// [MQTT-3.1.3-8] (3.1.1) An empty client id with clean session 0 is refused
// with CONNACK 0x02 and the connection closed.
func TestEmptyClientIDPersistent_MQTT_3_1_3_8(t *testing.T) {
	t.Parallel()
	b := startBroker(t, "")
	c := b.dial(packet.V311)
	ack := c.handshake(&packet.Connect{ClientID: "", CleanStart: false})
	if ack.ReasonCode != packet.ClientIdentifierNotValid || ack.SessionPresent {
		t.Fatalf("CONNACK %v present=%v, want 0x02 (identifier rejected)", ack.ReasonCode, ack.SessionPresent)
	}
	c.expectClosed(ioTimeout)
	if n := b.Srv.MQTT().SessionCount(); n != 0 {
		t.Errorf("%d sessions after a refused CONNECT", n)
	}
}

// [MQTT-3.1.3-6, MQTT-3.1.3-7] An empty client id with clean session 1 is
// accepted and given a unique id; MQTT 5 returns it as Assigned Client
// Identifier [MQTT-3.2.2-16].
func TestEmptyClientIDAssigned_MQTT_3_1_3_6(t *testing.T) {
	t.Parallel()
	b := startBroker(t, "")
	c, ack := b.connect(packet.V311, &packet.Connect{CleanStart: true})
	if ack.SessionPresent {
		t.Error("session present for a new clean session")
	}
	c.expectNothing("3.1.1 with assigned id")

	ids := map[string]bool{}
	for range 2 {
		_, ack5 := b.connect(packet.V5, &packet.Connect{CleanStart: true})
		id := ack5.Properties.AssignedClientIdentifier
		if !ack5.Properties.Has(packet.PropAssignedClientIdentifier) || id == "" {
			t.Fatalf("MQTT 5 CONNACK without Assigned Client Identifier: %+v", ack5.Properties)
		}
		if _, ok := b.Srv.MQTT().Session(id); !ok {
			t.Errorf("no session under the assigned id %q", id)
		}
		ids[id] = true
	}
	if len(ids) != 2 {
		t.Errorf("assigned ids are not unique: %v", ids)
	}
}

// [MQTT-3.1.2-24] A client silent for one and a half times its keep alive
// is disconnected (MQTT 5: DISCONNECT 0x8D); one that keeps pinging stays.
func TestKeepAlive_MQTT_3_1_2_24(t *testing.T) {
	t.Parallel()
	b := startBroker(t, "")
	silent, _ := b.connect(packet.V311, &packet.Connect{ClientID: "silent", CleanStart: true, KeepAlive: 1})
	silent5, _ := b.connect(packet.V5, &packet.Connect{ClientID: "silent5", CleanStart: true, KeepAlive: 1})
	alive, _ := b.connect(packet.V311, &packet.Connect{ClientID: "alive", CleanStart: true, KeepAlive: 1})
	start := time.Now()

	type closed struct {
		after time.Duration
		last  packet.Packet
		err   error
	}
	watch := func(c *client) <-chan closed {
		ch := make(chan closed, 1)
		go func() {
			var last packet.Packet
			for {
				p, err := c.next(4 * time.Second)
				if err != nil {
					ch <- closed{time.Since(start), last, err}
					return
				}
				last = p
			}
		}()
		return ch
	}
	w3, w5 := watch(silent), watch(silent5)
	// The pinging client crosses 1.5 x keep alive without trouble.
	for time.Since(start) < 2*time.Second {
		alive.ping()
		time.Sleep(300 * time.Millisecond) // keep-alive traffic, not a wait for a result
	}
	alive.expectNothing("pinging client after 2 s")

	for name, ch := range map[string]<-chan closed{"3.1.1": w3, "5.0": w5} {
		r := <-ch
		if errors.Is(r.err, os.ErrDeadlineExceeded) {
			t.Errorf("%s: silent client still connected after 4 s", name)
			continue
		}
		if r.after < 1400*time.Millisecond || r.after > 2500*time.Millisecond {
			t.Errorf("%s: closed after %v, want 1.5 s (1.5 x keep alive)", name, r.after)
		}
		if name == "5.0" {
			if d, ok := r.last.(*packet.Disconnect); !ok || d.ReasonCode != packet.KeepAliveTimeout {
				t.Errorf("MQTT 5: last packet %+v, want DISCONNECT 0x8D", r.last)
			}
		}
	}
}

// [MQTT-3.1.4-3] A second connection with the same client id takes the
// session over: the old connection is closed (MQTT 5: DISCONNECT 0x8E).
func TestSessionTakeover_MQTT_3_1_4_3(t *testing.T) {
	t.Parallel()
	b := startBroker(t, "")
	old := b.connect311("dup", false)
	old.sub("take/over", 1)
	nu, ack := b.connect(packet.V311, &packet.Connect{ClientID: "dup", CleanStart: false})
	if !ack.SessionPresent {
		t.Error("takeover of a persistent session: session present = 0")
	}
	old.expectClosed(ioTimeout)
	// The subscription moved to the new connection.
	pub := b.connect311("pub", true)
	pub.publish("take/over", "hello", 1, 1)
	if p := nu.recv(); string(p.Payload) != "hello" {
		t.Fatalf("new connection got %q", p.Payload)
	}

	old5, _ := b.connect5("dup5", nil)
	b.connect5("dup5", nil)
	old5.expectDisconnect(packet.SessionTakenOver, ioTimeout)
}

// maximumConnections on the connector URI: the connection past the limit is
// closed before any CONNACK.
func TestMaximumConnections(t *testing.T) {
	t.Parallel()
	b := startBroker(t, fmt.Sprintf(mqttConnector, "?maximumConnections=2"))
	c1 := b.connect311("one", true)
	b.connect311("two", true)
	third := b.dial(packet.V311)
	third.send(&packet.Connect{ClientID: "three", CleanStart: true})
	if got := third.expectClosed(ioTimeout); len(got) != 0 {
		t.Fatalf("third connection got %v", types(got))
	}
	// Room again once one leaves.
	c1.disconnect()
	servertest.WaitFor(t, ioTimeout, "a free connection slot", func() bool {
		nc, err := net.Dial("tcp", b.addr)
		if err != nil {
			return false
		}
		defer nc.Close()
		c := &client{t: t, nc: nc, r: packet.NewReader(nc, 0), v: packet.V311}
		c.r.SetVersion(packet.V311)
		c.send(&packet.Connect{ClientID: "four", CleanStart: true})
		_, err = c.next(ioTimeout)
		return err == nil
	})
}

// Broker shutdown sends DISCONNECT 0x8B to MQTT 5 clients and closes MQTT
// 3.1.1 connections.
func TestShutdownDisconnect(t *testing.T) {
	t.Parallel()
	b := startBroker(t, "")
	c5, _ := b.connect5("v5", nil)
	c3 := b.connect311("v3", true)
	go b.Stop()
	c5.expectDisconnect(packet.ServerShuttingDown, ioTimeout)
	c3.expectClosed(ioTimeout)
}

// A CONNECT with bad credentials gets CONNACK 0x05 (3.1.1) / 0x87 (5).
func TestConnectNotAuthorized(t *testing.T) {
	t.Parallel()
	b := startBroker(t, authPlugins)
	c := b.dial(packet.V311)
	ack := c.handshake(&packet.Connect{ClientID: "x", CleanStart: true, UsernameFlag: true, Username: "publisher", PasswordFlag: true, Password: []byte("wrong-pw")})
	if ack.ReasonCode != packet.NotAuthorized {
		t.Fatalf("CONNACK %v, want not authorized (5)", ack.ReasonCode)
	}
	c.expectClosed(ioTimeout)
	if !b.LogHas("login refused") {
		t.Error("no audit line for the refused login")
	}
	if strings.Contains(b.Log.String(), "wrong-pw") {
		t.Error("password written to the log")
	}
}

// Shutdown while clients are in the middle of CONNECT ends their connections
// promptly instead of waiting for the CONNECT timeout, and leaves no
// goroutine behind (TestMain checks for leaks).
func TestShutdownDuringConnects(t *testing.T) {
	t.Parallel()
	b := startBroker(t, "")
	const n = 10
	var partial []*client
	var rest [][]byte
	for i := range n {
		c := b.dial(packet.V311 + byte(i%2))
		raw, _ := packet.Append(nil, &packet.Connect{ClientID: fmt.Sprint("c", i), CleanStart: true}, c.v)
		cut := len(raw) - 1 - i%3*(len(raw)/3) // some stop in the middle, some before the last byte
		c.sendRaw(raw[:cut])
		partial = append(partial, c)
		rest = append(rest, raw[cut:])
	}
	// Connections are accepted in order: once this one is served, so are
	// the partial ones.
	b.connect311("marker", true)

	start := time.Now()
	stopped := make(chan struct{})
	go func() { b.Stop(); close(stopped) }()
	for i, c := range partial {
		if i%2 == 0 {
			c.nc.Write(rest[i]) // finish some CONNECTs during the shutdown
		}
	}
	for _, c := range partial {
		c.expectClosed(ioTimeout)
	}
	select {
	case <-stopped:
	case <-time.After(ioTimeout):
		t.Fatal("shutdown still running")
	}
	if el := time.Since(start); el > 3*time.Second {
		t.Errorf("shutdown took %v", el)
	}
}

// transport.defaultKeepAlive applies to clients that ask for none, and MQTT 5
// clients are told through Server Keep Alive [MQTT-3.2.2-21]; a keep alive
// above transport.maxKeepAlive is lowered the same way.
func TestServerKeepAlive_MQTT_3_2_2_21(t *testing.T) {
	t.Parallel()
	b := startBroker(t, fmt.Sprintf(mqttConnector, "?transport.defaultKeepAlive=1000&amp;transport.maxKeepAlive=2000"))
	for _, tc := range []struct {
		asked, want uint16
	}{{0, 1}, {60, 2}, {2, 2}} {
		_, ack := b.connect(packet.V5, &packet.Connect{ClientID: fmt.Sprint("ka", tc.asked), CleanStart: true, KeepAlive: tc.asked})
		got, has := ack.Properties.ServerKeepAlive, ack.Properties.Has(packet.PropServerKeepAlive)
		if tc.asked == tc.want {
			if has && got != tc.want {
				t.Errorf("keep alive %d: Server Keep Alive %d", tc.asked, got)
			}
			continue
		}
		if !has || got != tc.want {
			t.Errorf("keep alive %d: Server Keep Alive %d (present %v), want %d", tc.asked, got, has, tc.want)
		}
	}
	// A 3.1.1 client asking for none is held to the default (1 s).
	c := b.connect311("default", true)
	start := time.Now()
	c.expectClosed(4 * time.Second)
	if el := time.Since(start); el < 1400*time.Millisecond {
		t.Errorf("closed after %v", el)
	}
}

// wireFormat.maxFrameSize is the server's Maximum Packet Size, announced to
// MQTT 5 clients; a bigger packet closes the connection (MQTT 5: DISCONNECT
// 0x95) [MQTT-3.2.2-15 (client side), §3.1.2.11.4].
func TestServerMaximumPacketSize(t *testing.T) {
	t.Parallel()
	b := startBroker(t, fmt.Sprintf(mqttConnector, "?wireFormat.maxFrameSize=1024"))
	c5, ack := b.connect5("big5", nil)
	if !ack.Properties.Has(packet.PropMaximumPacketSize) || ack.Properties.MaximumPacketSize != 1024 {
		t.Errorf("CONNACK Maximum Packet Size %d (present %v), want 1024", ack.Properties.MaximumPacketSize, ack.Properties.Has(packet.PropMaximumPacketSize))
	}
	c5.pub(&packet.Publish{Topic: "fits", Payload: make([]byte, 900), QoS: 1, PacketID: 1})
	c5.send(&packet.Publish{Topic: "big", Payload: make([]byte, 2000), QoS: 1, PacketID: 2})
	c5.expectDisconnect(packet.PacketTooLarge, ioTimeout)

	c3 := b.connect311("big3", true)
	c3.send(&packet.Publish{Topic: "big", Payload: make([]byte, 2000)})
	if got := c3.expectClosed(ioTimeout); len(got) != 0 {
		t.Errorf("3.1.1: got %v before close", types(got))
	}
}
