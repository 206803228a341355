package mqtt_test

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/hashi-broker/hashi/broker/mqtt/packet"
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
	if n := b.srv.MQTT().SessionCount(); n != 0 {
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
		if _, ok := b.srv.MQTT().Session(id); !ok {
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

	done := make(chan struct{})
	go func() {
		defer close(done)
		silent5.expectDisconnect(packet.KeepAliveTimeout, 4*time.Second)
	}()
	silent.expectClosed(4 * time.Second)
	if el := time.Since(start); el < 1400*time.Millisecond {
		t.Errorf("closed after %v, before 1.5 x keep alive", el)
	}
	<-done
	// The pinging client passed 1.5 s of connection time without trouble.
	for time.Since(start) < 2*time.Second {
		alive.ping()
		time.Sleep(300 * time.Millisecond) // keep-alive traffic, not a wait for a result
	}
	alive.expectNothing("pinging client after 2 s")
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
	waitFor(t, ioTimeout, "a free connection slot", func() bool {
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
	go b.stop()
	c5.expectDisconnect(packet.ServerShuttingDown, ioTimeout)
	c3.expectClosed(ioTimeout)
}

// A CONNECT with bad credentials gets CONNACK 0x05 (3.1.1) / 0x87 (5).
func TestConnectNotAuthorized(t *testing.T) {
	t.Parallel()
	b := startBroker(t, authPlugins)
	c := b.dial(packet.V311)
	ack := c.handshake(&packet.Connect{ClientID: "x", CleanStart: true, UsernameFlag: true, Username: "publisher", PasswordFlag: true, Password: []byte("wrong")})
	if ack.ReasonCode != packet.NotAuthorized {
		t.Fatalf("CONNACK %v, want not authorized (5)", ack.ReasonCode)
	}
	c.expectClosed(ioTimeout)
	if !b.logHas("login refused") {
		t.Error("no audit line for the refused login")
	}
	if strings.Contains(b.log.String(), `"wrong"`) {
		t.Error("password written to the log")
	}
}
