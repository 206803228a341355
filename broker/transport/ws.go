package transport

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/coder/websocket"

	"github.com/hashi-broker/hashi/broker/transport/rawio"
	"github.com/hashi-broker/hashi/config"
)

// WebSocket sub-protocols, as ActiveMQ's WSServlet maps them: MQTT for "mqtt"
// and "mqttv3.1", STOMP for the STOMP ones and for none at all.
var wsProtocols = []string{"mqtt", "mqttv3.1", "v12.stomp", "v11.stomp", "v10.stomp", "stomp"}

func (l *Listener) serveWS() error {
	srv := &http.Server{
		Handler:           http.HandlerFunc(l.upgrade),
		ReadHeaderTimeout: HandshakeTimeout,
		ErrorLog:          l.log.StandardLogger(nil),
		BaseContext:       func(net.Listener) context.Context { return l.ctx },
	}
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return nil
	}
	l.httpSrv = srv
	l.mu.Unlock()
	ln := l.ln
	if l.tc.TLS {
		ln = &tlsListener{Listener: ln, l: l}
	}
	err := srv.Serve(&admitListener{Listener: ln, l: l})
	if errors.Is(err, http.ErrServerClosed) || l.ctx.Err() != nil {
		return nil
	}
	return err
}

// upgrade accepts a WebSocket on any path and hands it to MQTT or STOMP.
func (l *Listener) upgrade(w http.ResponseWriter, r *http.Request) {
	if !l.track() {
		http.Error(w, "shutting down", http.StatusServiceUnavailable)
		return
	}
	defer l.wg.Done()
	ws, err := websocket.Accept(w, r, &websocket.AcceptOptions{
		Subprotocols: wsProtocols,
		// Clients authenticate in CONNECT; browsers on other origins (the
		// console, a web app) must be able to reach the broker.
		InsecureSkipVerify: true,
	})
	if err != nil {
		l.log.Warn("WebSocket upgrade failed", "remote", r.RemoteAddr, "path", r.URL.Path, "error", err)
		return
	}
	proto := config.ProtoSTOMP
	if sp := strings.ToLower(ws.Subprotocol()); strings.HasPrefix(sp, "mqtt") {
		proto = config.ProtoMQTT
	}
	h := l.handlers[proto]
	if h == nil {
		ws.Close(websocket.StatusPolicyViolation, "protocol not served here")
		return
	}
	l.active.Add(1)
	l.total.Add(1)
	defer l.active.Add(-1)
	typ := websocket.MessageBinary
	if proto == config.ProtoSTOMP {
		typ = websocket.MessageText
	}
	c := newWSConn(ws, typ, r)
	if rest := h.Serve(l.ctx, c, &l.info); rest != nil {
		rest() // in the HTTP handler: the server tracks it until it returns
	}
	c.Close()
}

// admitListener applies maximumConnections before the HTTP server sees a
// connection.
type admitListener struct {
	net.Listener
	l *Listener
}

func (a *admitListener) Accept() (net.Conn, error) {
	for {
		c, err := a.Listener.Accept()
		if err != nil {
			return nil, err
		}
		if a.l.admit(c) {
			return rawio.Wrap(c), nil
		}
	}
}

// tlsListener wraps accepted connections in TLS with the listener's config.
type tlsListener struct {
	net.Listener
	l *Listener
}

func (t *tlsListener) Accept() (net.Conn, error) {
	c, err := t.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return tlsServer(c, t.l), nil
}

// wsConn is a net.Conn over a WebSocket that accepts text and binary messages
// alike (STOMP clients send either) and writes each Write as one message. A
// message may hold several protocol packets or part of one [MQTT-6.0.0-2].
//
// coder/websocket closes the whole connection when the context of a read
// ends, and its message reader keeps using the context it was opened with.
// So one goroutine (pump) reads with the connection's own context and hands
// the bytes to Read, and deadlines are enforced in Read: a read deadline
// interrupts Read like on a TCP socket and leaves the connection usable, so
// the protocol layers can unblock their reader and still send a last frame
// (an MQTT 5 DISCONNECT, a STOMP ERROR) before closing.
type wsConn struct {
	ws     *websocket.Conn
	ctx    context.Context // ends when the connection is closed
	cancel context.CancelFunc
	text   bool // STOMP: valid UTF-8 goes out as text messages, the rest as binary
	local  net.Addr
	remote net.Addr

	chunks chan []byte   // filled by pump; closed when it stops, perr says why
	free   chan []byte   // the read buffer, handed back to pump by Read
	perr   error         // written by pump before closing chunks
	rmu    sync.Mutex    // serialises Read
	rest   []byte        // unread part of the current chunk
	rbuf   []byte        // the buffer rest points into
	rdl    deadline      // read deadline
	wdl    deadline      // write deadline
	closed chan struct{} // closed by Close
	once   sync.Once
}

// wsReadBuffer is the size of the chunks pump hands to Read.
const wsReadBuffer = 32 << 10

// wsCloseTimeout bounds the closing handshake with a peer that does not
// answer the close frame.
var wsCloseTimeout = 2 * time.Second

type addr string

func (a addr) Network() string { return "websocket" }
func (a addr) String() string  { return string(a) }

// newWSConn wraps ws. Its lifetime is not tied to the listener's context:
// the protocol handler closes it when that ends, after its last frame.
func newWSConn(ws *websocket.Conn, typ websocket.MessageType, r *http.Request) *wsConn {
	c := &wsConn{
		ws: ws, text: typ == websocket.MessageText, remote: addr(r.RemoteAddr), local: addr(r.Host),
		chunks: make(chan []byte), free: make(chan []byte, 1), closed: make(chan struct{}),
		rdl: newDeadline(), wdl: newDeadline(),
	}
	if la, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr); ok {
		c.local = la
	}
	ws.SetReadLimit(-1) // the protocol reader enforces its own frame limits
	c.ctx, c.cancel = context.WithCancel(context.Background())
	c.free <- make([]byte, wsReadBuffer)
	go c.pump()
	return c
}

// pump reads messages of either type and passes their bytes to Read, one
// buffer at a time.
func (c *wsConn) pump() {
	defer close(c.chunks)
	for {
		_, r, err := c.ws.Reader(c.ctx)
		if err != nil {
			c.perr = c.readErr(err)
			return
		}
		for {
			var buf []byte
			select {
			case buf = <-c.free:
			case <-c.ctx.Done():
				c.perr = net.ErrClosed
				return
			}
			n, err := r.Read(buf)
			if n > 0 {
				select {
				case c.chunks <- buf[:n]:
				case <-c.ctx.Done():
					c.perr = net.ErrClosed
					return
				}
			} else {
				c.free <- buf
			}
			if err == io.EOF {
				break
			}
			if err != nil {
				c.perr = c.readErr(err)
				return
			}
		}
	}
}

// readErr maps the end of the read side: a close frame with a normal
// status is the end of the stream.
func (c *wsConn) readErr(err error) error {
	switch websocket.CloseStatus(err) {
	case websocket.StatusNormalClosure, websocket.StatusGoingAway, websocket.StatusNoStatusRcvd:
		return io.EOF
	}
	select {
	case <-c.closed:
		return net.ErrClosed
	default:
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return io.ErrUnexpectedEOF // the peer went away without a close frame
	}
	return err
}

func (c *wsConn) Read(p []byte) (int, error) {
	c.rmu.Lock()
	defer c.rmu.Unlock()
	if c.rdl.expired() {
		return 0, os.ErrDeadlineExceeded
	}
	if len(c.rest) == 0 {
		select {
		case b, ok := <-c.chunks:
			if !ok {
				return 0, c.perr
			}
			c.rbuf, c.rest = b, b
		case <-c.rdl.wait():
			return 0, os.ErrDeadlineExceeded
		case <-c.closed:
			return 0, net.ErrClosed
		}
	}
	n := copy(p, c.rest)
	c.rest = c.rest[n:]
	if len(c.rest) == 0 {
		c.free <- c.rbuf[:cap(c.rbuf)]
		c.rbuf = nil
	}
	return n, nil
}

// Write sends p as one message: binary for MQTT; for STOMP text, unless p
// is not valid UTF-8 (a binary body), which a text message may not carry
// (RFC 6455 section 5.6: browsers fail the connection).
func (c *wsConn) Write(p []byte) (int, error) {
	if c.wdl.expired() {
		return 0, os.ErrDeadlineExceeded
	}
	typ := websocket.MessageBinary
	if c.text && utf8.Valid(p) {
		typ = websocket.MessageText
	}
	ctx := c.ctx
	if ch, armed := c.wdl.armed(); armed {
		// coder/websocket closes the connection when a write's context
		// ends: a write timeout is fatal, as it is for the protocols.
		var cancel context.CancelFunc
		ctx, cancel = context.WithCancel(c.ctx)
		defer cancel()
		done := make(chan struct{})
		defer close(done)
		go func() {
			select {
			case <-ch:
				cancel()
			case <-done:
			}
		}()
	}
	if err := c.ws.Write(ctx, typ, p); err != nil {
		if c.wdl.expired() {
			return 0, os.ErrDeadlineExceeded
		}
		return 0, err
	}
	return len(p), nil
}

// Close sends a close frame and waits (briefly) for the peer's answer.
func (c *wsConn) Close() error {
	var err error
	c.once.Do(func() {
		close(c.closed)
		t := time.AfterFunc(wsCloseTimeout, c.cancel)
		err = c.ws.Close(websocket.StatusNormalClosure, "")
		t.Stop()
		c.cancel()
	})
	return err
}

func (c *wsConn) LocalAddr() net.Addr  { return c.local }
func (c *wsConn) RemoteAddr() net.Addr { return c.remote }

func (c *wsConn) SetDeadline(t time.Time) error {
	c.rdl.set(t)
	c.wdl.set(t)
	return nil
}

func (c *wsConn) SetReadDeadline(t time.Time) error  { c.rdl.set(t); return nil }
func (c *wsConn) SetWriteDeadline(t time.Time) error { c.wdl.set(t); return nil }

// deadline is a settable point in time whose passing closes a channel, as
// net.Pipe implements its deadlines.
type deadline struct {
	mu     sync.Mutex
	timer  *time.Timer
	cancel chan struct{} // closed when the deadline passes
}

func newDeadline() deadline { return deadline{cancel: make(chan struct{})} }

// set moves the deadline; the zero time means none.
func (d *deadline) set(t time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.timer != nil && !d.timer.Stop() {
		<-d.cancel // the timer fired: wait until it closed cancel
	}
	d.timer = nil
	closed := isClosed(d.cancel)
	if t.IsZero() {
		if closed {
			d.cancel = make(chan struct{})
		}
		return
	}
	if dur := time.Until(t); dur > 0 {
		if closed {
			d.cancel = make(chan struct{})
		}
		ch := d.cancel
		d.timer = time.AfterFunc(dur, func() { close(ch) })
		return
	}
	if !closed {
		close(d.cancel)
	}
}

// wait returns a channel that is closed when the deadline passes.
func (d *deadline) wait() chan struct{} {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.cancel
}

func (d *deadline) expired() bool { return isClosed(d.wait()) }

// armed returns the channel of a deadline that is set and still ahead.
func (d *deadline) armed() (chan struct{}, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.cancel, d.timer != nil
}

func isClosed(ch chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}
