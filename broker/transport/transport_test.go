package transport_test

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/hashicorp/go-hclog"
	"go.uber.org/goleak"

	"github.com/hashi-broker/hashi/broker/server/servertest"
	"github.com/hashi-broker/hashi/broker/transport"
	"github.com/hashi-broker/hashi/config"
)

// Tests here run listeners with stand-in protocol handlers and speak to them
// with real clients: raw TCP for protocol detection, coder/websocket's
// client for WebSocket.

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const ioTimeout = 5 * time.Second

// echo is a stand-in protocol handler: it announces its protocol, then
// echoes what it reads, one Read per Write, until the peer goes away or the
// listener closes.
type echo struct {
	proto string
	// serve, when set, replaces the echo loop.
	serve func(ctx context.Context, c net.Conn)
}

func (e echo) Serve(ctx context.Context, c net.Conn, info *transport.Info) func() {
	e.run(ctx, c)
	return nil
}

func (e echo) run(ctx context.Context, c net.Conn) {
	stop := context.AfterFunc(ctx, func() { c.Close() })
	defer stop()
	defer c.Close()
	if e.serve != nil {
		e.serve(ctx, c)
		return
	}
	if _, err := io.WriteString(c, e.proto+":"); err != nil {
		return
	}
	buf := make([]byte, 64<<10)
	for {
		n, err := c.Read(buf)
		if err != nil {
			return
		}
		if _, err := c.Write(buf[:n]); err != nil {
			return
		}
	}
}

// listen starts a listener for uri with echo handlers (or h) and returns
// its address and log.
func listen(t *testing.T, uri string, h transport.Handlers) (string, *servertest.SyncBuffer) {
	t.Helper()
	tc, _, err := config.ParseTransportURI(uri)
	if err != nil {
		t.Fatal(err)
	}
	tc.Name = "test"
	if h == nil {
		h = transport.Handlers{config.ProtoMQTT: echo{proto: "mqtt"}, config.ProtoSTOMP: echo{proto: "stomp"}}
	}
	logs := &servertest.SyncBuffer{}
	l, err := transport.Listen(tc, nil, h, hclog.New(&hclog.LoggerOptions{Output: logs, JSONFormat: true}))
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- l.Serve() }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := l.Close(ctx); err != nil {
			t.Errorf("close: %v", err)
		}
		if err := <-served; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	return l.Addr().String(), logs
}

// readN reads exactly n bytes from c.
func readN(t *testing.T, c net.Conn, n int) string {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(ioTimeout))
	b := make([]byte, n)
	if _, err := io.ReadFull(c, b); err != nil {
		t.Fatalf("read %d bytes: %v (got %q)", n, err, b)
	}
	return string(b)
}

// expectClosed reads until EOF or a reset.
func expectClosed(t *testing.T, c net.Conn) {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(ioTimeout))
	b, err := io.ReadAll(c)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("connection still open after %v", ioTimeout)
	}
	if len(b) > 0 {
		t.Fatalf("got %q, want the connection closed", b)
	}
}

// The auto-detecting listener (tcp://) hands each connection to the
// protocol its first bytes announce, replaying those bytes.
func TestAutoDetect(t *testing.T) {
	addr, logs := listen(t, "tcp://127.0.0.1:0", nil)
	mqttConnect := "\x10\x10\x00\x04MQTT\x04\x02\x00\x3c\x00\x04lock"
	for _, tc := range []struct {
		name   string
		chunks []string // written with a pause for the listener to wait on
		want   string
	}{
		{"mqtt", []string{mqttConnect}, "mqtt:" + mqttConnect},
		{"stomp CONNECT", []string{"CONNECT\naccept-version:1.2\n\n\x00"}, "stomp:CONNECT\naccept-version:1.2\n\n\x00"},
		{"stomp STOMP", []string{"STOMP\n\n\x00"}, "stomp:STOMP\n\n\x00"},
		{"stomp after heart-beats", []string{"\n\r\n\nCONNECT\n\n\x00"}, "stomp:\n\r\n\nCONNECT\n\n\x00"},
		{"stomp in pieces", []string{"C", "ONN", "ECT\n\n\x00"}, "stomp:CONNECT\n\n\x00"},
		{"mqtt in pieces", []string{"\x10", "\x10\x00\x04MQTT"}, "mqtt:\x10\x10\x00\x04MQTT"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := net.DialTimeout("tcp", addr, ioTimeout)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			for i, ch := range tc.chunks {
				if i > 0 {
					time.Sleep(20 * time.Millisecond) // let the listener see a short first read
				}
				c.Write([]byte(ch))
			}
			if got := readN(t, c, len(tc.want)); got != tc.want {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
		})
	}
	for _, tc := range []struct{ name, first, log string }{
		{"openwire", "\x00\x00\x01\x06\x01ActiveMQ\x00\x00\x00\x0c", "OpenWire"},
		{"openwire in pieces", "\x00\x00\x00", "OpenWire"},
		{"http", "GET / HTTP/1.1\r\nHost: x\r\n\r\n", "HTTP request"},
		{"amqp", "AMQP\x00\x01\x00\x00", "AMQP"},
		{"garbage", "hello world, anyone?", "unknown protocol"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := net.DialTimeout("tcp", addr, ioTimeout)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			c.Write([]byte(tc.first))
			if tc.name == "openwire in pieces" {
				time.Sleep(20 * time.Millisecond)
				c.Write([]byte("\xaa\x01ActiveMQ\x00\x00\x00\x0c"))
			}
			expectClosed(t, c)
			servertest.WaitFor(t, ioTimeout, "log line naming "+tc.log, func() bool {
				return strings.Contains(logs.String(), "protocol not recognised") && strings.Contains(logs.String(), tc.log)
			})
		})
	}
}

// wsDial opens a WebSocket to path offering protocols.
func wsDial(t *testing.T, addr, path string, protocols ...string) *websocket.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), ioTimeout)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, "ws://"+addr+path, &websocket.DialOptions{Subprotocols: protocols})
	if err != nil {
		t.Fatalf("dial %s %v: %v", path, protocols, err)
	}
	ws.SetReadLimit(-1)
	t.Cleanup(func() { ws.CloseNow() })
	return ws
}

// wsRead reads messages until n bytes arrived; it returns them and the type
// of each message.
func wsRead(t *testing.T, ws *websocket.Conn, n int) (string, []websocket.MessageType) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), ioTimeout)
	defer cancel()
	var got []byte
	var types []websocket.MessageType
	for len(got) < n {
		typ, b, err := ws.Read(ctx)
		if err != nil {
			t.Fatalf("read after %q: %v", got, err)
		}
		got = append(got, b...)
		types = append(types, typ)
	}
	return string(got), types
}

func wsWrite(t *testing.T, ws *websocket.Conn, typ websocket.MessageType, s string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), ioTimeout)
	defer cancel()
	if err := ws.Write(ctx, typ, []byte(s)); err != nil {
		t.Fatal(err)
	}
}

// The sub-protocol chooses MQTT or STOMP as ActiveMQ's WSServlet does, on
// any path; text and binary messages (and fragmented ones) are all read as
// a byte stream, and the connection keeps working message after message.
func TestWebSocketProtocols(t *testing.T) {
	addr, _ := listen(t, "ws://127.0.0.1:0", nil)
	for _, tc := range []struct {
		path      string
		offer     []string
		proto, sp string
	}{
		{"/", []string{"mqtt"}, "mqtt", "mqtt"},
		{"/mqtt", []string{"mqttv3.1"}, "mqtt", "mqttv3.1"},
		{"/stomp", []string{"v12.stomp"}, "stomp", "v12.stomp"},
		{"/", []string{"v11.stomp", "v10.stomp"}, "stomp", "v11.stomp"},
		{"/ws/any/path", []string{"stomp"}, "stomp", "stomp"},
		{"/", nil, "stomp", ""},
		{"/mqtt", []string{"xmpp"}, "stomp", ""}, // unknown: STOMP, as ActiveMQ
	} {
		t.Run(tc.path+"-"+strings.Join(tc.offer, "+"), func(t *testing.T) {
			ws := wsDial(t, addr, tc.path, tc.offer...)
			if ws.Subprotocol() != tc.sp {
				t.Fatalf("sub-protocol %q, want %q", ws.Subprotocol(), tc.sp)
			}
			if got, _ := wsRead(t, ws, len(tc.proto)+1); got != tc.proto+":" {
				t.Fatalf("served by %q, want %s", got, tc.proto)
			}
			for i := 0; i < 5; i++ {
				typ := websocket.MessageText
				if i%2 == 1 {
					typ = websocket.MessageBinary
				}
				msg := strings.Repeat(string(rune('a'+i)), 10+i*20000)
				wsWrite(t, ws, typ, msg)
				if got, _ := wsRead(t, ws, len(msg)); got != msg {
					t.Fatalf("message %d: echoed %d bytes, want %d", i, len(got), len(msg))
				}
			}
			// A message sent in fragments arrives whole.
			ctx, cancel := context.WithTimeout(context.Background(), ioTimeout)
			defer cancel()
			w, err := ws.Writer(ctx, websocket.MessageText)
			if err != nil {
				t.Fatal(err)
			}
			for _, part := range []string{"SEND\n", "destination:/queue/a\n\n", "body\x00"} {
				w.Write([]byte(part))
			}
			w.Close()
			if got, _ := wsRead(t, ws, 30); got != "SEND\ndestination:/queue/a\n\nbody\x00" {
				t.Fatalf("fragmented message echoed as %q", got)
			}
			if err := ws.Close(websocket.StatusNormalClosure, ""); err != nil {
				t.Fatalf("close handshake: %v", err)
			}
		})
	}
}

// STOMP goes out in text messages while the bytes are UTF-8 and in binary
// ones otherwise (a text message must be UTF-8); MQTT always in binary.
func TestWebSocketMessageTypes(t *testing.T) {
	addr, _ := listen(t, "ws://127.0.0.1:0", nil)
	for _, tc := range []struct {
		offer, send string
		want        websocket.MessageType
	}{
		{"v12.stomp", "MESSAGE\n\nhé\x00", websocket.MessageText},
		{"v12.stomp", "MESSAGE\ncontent-length:2\n\n\xff\xfe\x00", websocket.MessageBinary},
		{"mqtt", "\x30\x03\x00\x01a", websocket.MessageBinary},
	} {
		ws := wsDial(t, addr, "/", tc.offer)
		wsRead(t, ws, len("stomp:")-map[bool]int{true: 1}[tc.offer == "mqtt"])
		wsWrite(t, ws, websocket.MessageBinary, tc.send)
		got, types := wsRead(t, ws, len(tc.send))
		if got != tc.send || len(types) != 1 || types[0] != tc.want {
			t.Errorf("%s: echo of %q came back as %q in %v, want one %v message", tc.offer, tc.send, got, types, tc.want)
		}
	}
}

// A read deadline interrupts Read with os.ErrDeadlineExceeded and leaves the
// connection usable: the handler can still write, and read after moving
// the deadline. Closing sends a normal close frame.
func TestWebSocketReadDeadline(t *testing.T) {
	results := make(chan string, 8)
	h := transport.Handlers{config.ProtoSTOMP: echo{serve: func(ctx context.Context, c net.Conn) {
		buf := make([]byte, 100)
		c.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
		start := time.Now()
		_, err := c.Read(buf)
		var ne net.Error
		if !errors.Is(err, os.ErrDeadlineExceeded) || !errors.As(err, &ne) || !ne.Timeout() {
			results <- "first read: " + errString(err)
			return
		}
		if el := time.Since(start); el < 80*time.Millisecond || el > 2*time.Second {
			results <- "deadline after " + el.String()
			return
		}
		if _, err := c.Read(buf); !errors.Is(err, os.ErrDeadlineExceeded) {
			results <- "read after the deadline: " + errString(err)
			return
		}
		if _, err := io.WriteString(c, "still here"); err != nil {
			results <- "write: " + err.Error()
			return
		}
		c.SetReadDeadline(time.Time{})
		n, err := c.Read(buf)
		if err != nil {
			results <- "read after clearing the deadline: " + err.Error()
			return
		}
		// A deadline set while Read is blocked interrupts it.
		go func() {
			time.Sleep(50 * time.Millisecond)
			c.SetReadDeadline(time.Now())
		}()
		if _, err := c.Read(buf); !errors.Is(err, os.ErrDeadlineExceeded) {
			results <- "read interrupted by a new deadline: " + errString(err)
			return
		}
		results <- "ok " + string(buf[:n])
	}}}
	addr, _ := listen(t, "ws://127.0.0.1:0", h)
	ws := wsDial(t, addr, "/stomp", "v12.stomp")
	if got, _ := wsRead(t, ws, len("still here")); got != "still here" {
		t.Fatalf("got %q", got)
	}
	wsWrite(t, ws, websocket.MessageText, "ping")
	select {
	case r := <-results:
		if r != "ok ping" {
			t.Fatal(r)
		}
	case <-time.After(ioTimeout):
		t.Fatal("handler did not finish")
	}
	ctx, cancel := context.WithTimeout(context.Background(), ioTimeout)
	defer cancel()
	_, _, err := ws.Read(ctx)
	if websocket.CloseStatus(err) != websocket.StatusNormalClosure {
		t.Fatalf("after the handler returned: %v, want a normal close frame", err)
	}
}

func errString(err error) string {
	if err == nil {
		return "<nil>"
	}
	return err.Error()
}

// Closing a listener while clients keep arriving: every connection that
// reached a handler is waited for, none is served after Close returned.
func TestCloseWhileAccepting(t *testing.T) {
	for _, uri := range []string{"ws://127.0.0.1:0", "tcp://127.0.0.1:0"} {
		for round := 0; round < 10; round++ {
			tc, _, err := config.ParseTransportURI(uri)
			if err != nil {
				t.Fatal(err)
			}
			var closed atomic.Bool
			var late atomic.Int64
			h := echo{serve: func(ctx context.Context, c net.Conn) {
				if closed.Load() {
					late.Add(1)
				}
			}}
			l, err := transport.Listen(tc, nil, transport.Handlers{config.ProtoSTOMP: h, config.ProtoMQTT: h}, hclog.NewNullLogger())
			if err != nil {
				t.Fatal(err)
			}
			served := make(chan error, 1)
			go func() { served <- l.Serve() }()
			stop := make(chan struct{})
			var wg sync.WaitGroup
			for i := 0; i < 4; i++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for {
						select {
						case <-stop:
							return
						default:
						}
						if strings.HasPrefix(uri, "ws") {
							ctx, cancel := context.WithTimeout(context.Background(), time.Second)
							ws, _, err := websocket.Dial(ctx, "ws://"+l.Addr().String()+"/", nil)
							cancel()
							if err == nil {
								ws.CloseNow()
							}
						} else if c, err := net.Dial("tcp", l.Addr().String()); err == nil {
							c.Write([]byte("CONNECT\n"))
							c.Close()
						}
					}
				}()
			}
			time.Sleep(time.Duration(round) * time.Millisecond) // vary where Close lands
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			if err := l.Close(ctx); err != nil {
				t.Fatalf("close: %v", err)
			}
			closed.Store(true)
			cancel()
			close(stop)
			wg.Wait()
			if err := <-served; err != nil {
				t.Fatalf("serve: %v", err)
			}
			if n := late.Load(); n > 0 {
				t.Fatalf("%s round %d: %d connections served after Close returned", uri, round, n)
			}
		}
	}
}

// handoff is a handler that answers at once and returns the rest of the
// connection (an echo loop) for the listener to run on a fresh goroutine.
type handoff struct {
	served   chan struct{} // closed by rest once Serve has returned
	returned *atomic.Bool  // Serve has returned
	ended    *atomic.Bool  // rest has returned
}

func (h handoff) Serve(ctx context.Context, c net.Conn, info *transport.Info) func() {
	defer h.returned.Store(true)
	if _, err := io.WriteString(c, "hi:"); err != nil {
		c.Close()
		return nil
	}
	return func() {
		defer h.ended.Store(true)
		if h.returned.Load() {
			close(h.served)
		}
		echo{proto: "rest"}.run(ctx, c)
	}
}

// A handler may return the rest of a connection's work: the listener runs
// it after Serve has returned, counts the connection until it ends, and
// Close waits for it.
func TestListenerRunsHandlerRest(t *testing.T) {
	tc, _, err := config.ParseTransportURI("mqtt://127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	h := handoff{served: make(chan struct{}), returned: new(atomic.Bool), ended: new(atomic.Bool)}
	l, err := transport.Listen(tc, nil, transport.Handlers{config.ProtoMQTT: h}, hclog.NewNullLogger())
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- l.Serve() }()

	c, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if got := readN(t, c, 8); got != "hi:rest:" {
		t.Fatalf("greeting %q, want Serve's then the rest's", got)
	}
	select {
	case <-h.served:
	case <-time.After(ioTimeout):
		t.Fatal("the rest did not run after Serve returned")
	}
	io.WriteString(c, "ping")
	if got := readN(t, c, 4); got != "ping" {
		t.Fatalf("echo %q", got)
	}
	if n := l.Active(); n != 1 {
		t.Fatalf("%d active connections while the rest runs, want 1", n)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := l.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if !h.ended.Load() {
		t.Fatal("Close returned before the rest ended")
	}
	if n := l.Active(); n != 0 {
		t.Fatalf("%d active connections after Close", n)
	}
	if err := <-served; err != nil {
		t.Fatal(err)
	}
}

// Accepted sockets get TCP keep-alive only with transport.keepAlive=true,
// as in ActiveMQ; by default MQTT keep-alive and STOMP heart-beats are what
// find dead peers.
func TestTCPKeepAliveOption(t *testing.T) {
	for _, tc := range []struct {
		query string
		want  int
	}{{"", 0}, {"?transport.keepAlive=false", 0}, {"?transport.keepAlive=true", 1}} {
		got := make(chan int, 1)
		h := transport.Handlers{config.ProtoMQTT: echo{serve: func(ctx context.Context, c net.Conn) {
			v := -1
			if rc, err := c.(syscall.Conn).SyscallConn(); err == nil {
				rc.Control(func(fd uintptr) {
					v, _ = syscall.GetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_KEEPALIVE)
				})
			}
			got <- v
		}}}
		addr, _ := listen(t, "mqtt://127.0.0.1:0"+tc.query, h)
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		select {
		case v := <-got:
			if v != tc.want {
				t.Errorf("%q: SO_KEEPALIVE = %d, want %d", tc.query, v, tc.want)
			}
		case <-time.After(ioTimeout):
			t.Fatalf("%q: no connection accepted", tc.query)
		}
		c.Close()
	}
}
