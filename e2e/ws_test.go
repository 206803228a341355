package e2e

import (
	"bytes"
	"context"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/coder/websocket"
	mqtt "github.com/eclipse/paho.mqtt.golang"
	"github.com/go-stomp/stomp/v3"
	"github.com/go-stomp/stomp/v3/frame"

	wire "github.com/hashi-broker/hashi/broker/stomp/frame"
)

// MQTT and STOMP over the ws:// connector: paho.mqtt.golang's WebSocket
// transport (sub-protocol "mqtt") and coder/websocket speaking STOMP frames
// encoded by Hashi's codec, against TCP clients on the other side.

// wsStomp is a STOMP client over a WebSocket: frames go out as text or
// binary messages; what comes back is decoded as one byte stream.
type wsStomp struct {
	t     testing.TB
	ws    *websocket.Conn
	r     *wire.Reader
	types []websocket.MessageType // type of each message received
	hbs   int
}

// Read feeds the codec's Reader from WebSocket messages.
type wsStream struct{ c *wsStomp }

func (s wsStream) Read(p []byte) (int, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	typ, b, err := s.c.ws.Read(ctx)
	if err != nil {
		return 0, err
	}
	s.c.types = append(s.c.types, typ)
	if len(b) > len(p) {
		s.c.t.Fatalf("message of %d bytes does not fit the read buffer", len(b))
	}
	return copy(p, b), nil
}

func dialWSStomp(t testing.TB, b *proc, path string, hdr ...string) *wsStomp {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, "ws://"+b.addr("ws")+path, &websocket.DialOptions{Subprotocols: []string{"v12.stomp"}})
	if err != nil {
		t.Fatalf("dial ws %s: %v", path, err)
	}
	if ws.Subprotocol() != "v12.stomp" {
		t.Fatalf("negotiated sub-protocol %q", ws.Subprotocol())
	}
	ws.SetReadLimit(1 << 20)
	t.Cleanup(func() { ws.CloseNow() })
	c := &wsStomp{t: t, ws: ws}
	c.r = wire.NewReader(wsStream{c}, 1<<20)
	c.send(websocket.MessageText, frame.CONNECT, append([]string{frame.AcceptVersion, "1.2", "host", "localhost"}, hdr...)...)
	c.expect(frame.CONNECTED)
	c.r.Version = "1.2"
	return c
}

func (c *wsStomp) send(typ websocket.MessageType, cmd string, hdr ...string) {
	c.t.Helper()
	c.sendBody(typ, cmd, nil, hdr...)
}

func (c *wsStomp) sendBody(typ websocket.MessageType, cmd string, body []byte, hdr ...string) {
	c.t.Helper()
	f := frame.New(cmd, hdr...)
	f.Body = body
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.ws.Write(ctx, typ, wire.Append(nil, f, "1.2")); err != nil {
		c.t.Fatalf("write %s: %v", cmd, err)
	}
}

func (c *wsStomp) expect(cmd string) *frame.Frame {
	c.t.Helper()
	for {
		f, err := c.r.Read()
		if err != nil {
			c.t.Fatalf("waiting for %s: %v", cmd, err)
		}
		if f == nil {
			c.hbs++
			continue
		}
		if f.Command != cmd {
			c.t.Fatalf("got %s %v %q, want %s", f.Command, f.Header, f.Body, cmd)
		}
		return f
	}
}

// STOMP over WebSocket on several paths, frames in text and in binary
// messages, exchanging messages with MQTT clients on TCP.
func TestWebSocketStomp(t *testing.T) {
	t.Parallel()
	b := startBroker(t, brokerXML("", allConnectorsXML))
	h, p := "127.0.0.1", b.port("mqtt")
	for _, tc := range []struct {
		path string
		typ  websocket.MessageType
	}{
		{"/", websocket.MessageText},
		{"/stomp", websocket.MessageBinary},
		{"/any/path", websocket.MessageText},
	} {
		t.Run(fmt.Sprintf("%s-%v", tc.path, tc.typ), func(t *testing.T) {
			c := dialWSStomp(t, b, tc.path)
			c.send(tc.typ, frame.SUBSCRIBE, frame.Destination, "/topic/devices.*.state", frame.Id, "s", frame.Receipt, "sub")
			c.expect(frame.RECEIPT)
			mustPub(t, "-h", h, "-p", p, "-t", "devices/5/state", "-q", "1", "-m", "locked")
			m := c.expect(frame.MESSAGE)
			if string(m.Body) != "locked" || m.Header.Get(frame.Destination) != "/topic/devices.5.state" {
				t.Fatalf("from MQTT: %q %v", m.Body, m.Header)
			}

			sub := startSub(t, "-h", h, "-p", p, "-t", "devices/5/command", "-q", "1", "-C", "2", "-F", "%x")
			c.sendBody(tc.typ, frame.SEND, []byte(`{"action":"unlock"}`), frame.Destination, "/topic/devices.5.command")
			bin := []byte{0x00, 0xff, 0x10, 0x00}
			c.sendBody(tc.typ, frame.SEND, bin, frame.Destination, "/topic/devices.5.command",
				frame.ContentLength, strconv.Itoa(len(bin)), frame.Receipt, "bin")
			c.expect(frame.RECEIPT)
			if err := sub.wait(); err != nil {
				t.Fatalf("mosquitto_sub: %v\n%s", err, sub.output())
			}
			want := []string{fmt.Sprintf("%x", `{"action":"unlock"}`), fmt.Sprintf("%x", bin)}
			if got := sub.messages(); len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
				t.Fatalf("mosquitto_sub got %q, want %q", got, want)
			}
			c.send(tc.typ, frame.DISCONNECT, frame.Receipt, "bye")
			c.expect(frame.RECEIPT)
		})
	}

	t.Run("binary body in a binary message", func(t *testing.T) {
		c := dialWSStomp(t, b, "/stomp")
		c.send(websocket.MessageText, frame.SUBSCRIBE, frame.Destination, "/queue/ws.bin", frame.Id, "q", frame.Receipt, "sub")
		c.expect(frame.RECEIPT)
		gs := stompConn(t, b, "stomp")
		stompSend(t, gs, "/queue/ws.bin", []byte("text body"))
		stompSend(t, gs, "/queue/ws.bin", []byte{0xde, 0xad, 0x00, 0xbe, 0xef})
		n := len(c.types)
		if m := c.expect(frame.MESSAGE); string(m.Body) != "text body" || c.types[len(c.types)-1] != websocket.MessageText {
			t.Fatalf("text body %q came in %v", m.Body, c.types[n:])
		}
		n = len(c.types)
		if m := c.expect(frame.MESSAGE); !bytes.Equal(m.Body, []byte{0xde, 0xad, 0x00, 0xbe, 0xef}) ||
			c.types[len(c.types)-1] != websocket.MessageBinary {
			t.Fatalf("binary body %x came in %v; a text message must be UTF-8", m.Body, c.types[n:])
		}
	})

	t.Run("heart-beats", func(t *testing.T) {
		c := dialWSStomp(t, b, "/", frame.HeartBeat, "0,100")
		start := time.Now()
		for beats := 0; beats < 3; {
			f, err := c.r.Read() // blocks until the server sends something
			if err != nil {
				t.Fatalf("after %d heart-beats: %v", beats, err)
			}
			if f != nil {
				t.Fatalf("unexpected %s", f.Command)
			}
			beats++
		}
		if el := time.Since(start); el < 200*time.Millisecond {
			t.Fatalf("3 heart-beats at 100 ms came within %v", el)
		}
		silent := dialWSStomp(t, b, "/", frame.HeartBeat, "300,0")
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if _, _, err := silent.ws.Read(ctx); err == nil || ctx.Err() != nil {
			t.Fatalf("silent WebSocket client not closed: %v", err)
		}
		waitFor(t, 5*time.Second, "heart-beat timeout logged", func() bool { return b.has("no heart-beat from client") })
	})
}

// MQTT over WebSocket with paho (sub-protocol "mqtt") on / and /mqtt, with a
// STOMP producer and an MQTT TCP subscriber on the other side.
func TestWebSocketMQTT(t *testing.T) {
	t.Parallel()
	b := startBroker(t, brokerXML("", allConnectorsXML))
	for _, path := range []string{"/", "/mqtt"} {
		t.Run(path, func(t *testing.T) {
			got := make(chan mqtt.Message, 16)
			opts := mqtt.NewClientOptions().AddBroker("ws://" + b.addr("ws") + path).
				SetClientID("ws-lock" + path[1:]).SetProtocolVersion(4).SetAutoReconnect(false).
				SetConnectRetry(false).SetConnectTimeout(5 * time.Second).SetOrderMatters(true)
			c := mqtt.NewClient(opts)
			if tok := c.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
				t.Fatalf("connect over ws%s: %v", path, tok.Error())
			}
			defer c.Disconnect(100)
			tok := c.Subscribe("devices/+/command", 1, func(_ mqtt.Client, m mqtt.Message) { got <- m })
			if !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
				t.Fatalf("subscribe: %v", tok.Error())
			}
			gs := stompConn(t, b, "stomp")
			payload := []byte("\x00unlock\xff")
			// persistent:true is QoS 1 for MQTT subscribers (non-persistent is 0).
			stompSend(t, gs, "/topic/devices.8.command", payload, "persistent", "true")
			select {
			case m := <-got:
				if m.Topic() != "devices/8/command" || !bytes.Equal(m.Payload(), payload) || m.Qos() != 1 {
					t.Fatalf("paho over ws got %s %q qos %d", m.Topic(), m.Payload(), m.Qos())
				}
			case <-time.After(10 * time.Second):
				t.Fatal("paho over ws got nothing")
			}

			s := stompSub(t, gs, "/topic/devices.8.state", stomp.AckAuto)
			big := bytes.Repeat([]byte("s"), 200<<10) // spans several WebSocket frames and reads
			for _, m := range [][]byte{big, []byte("unlocked")} {
				if tok := c.Publish("devices/8/state", 1, false, m); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
					t.Fatalf("publish over ws: %v", tok.Error())
				}
				if got := recv(t, s, 10*time.Second); !bytes.Equal(got.Body, m) {
					t.Fatalf("STOMP subscriber got %d bytes, want %d", len(got.Body), len(m))
				}
			}
		})
	}
}
