package transport

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"

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
	l.httpSrv = srv
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
	l.wg.Add(1)
	defer l.wg.Done()
	l.active.Add(1)
	l.total.Add(1)
	defer l.active.Add(-1)
	typ := websocket.MessageBinary
	if proto == config.ProtoSTOMP {
		typ = websocket.MessageText
	}
	c := newWSConn(l.ctx, ws, typ, r)
	h.Serve(l.ctx, c, &l.info)
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
			return c, nil
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
// alike (STOMP clients send either) and writes each Write as one message of
// the given type. A message may hold several protocol packets or part of one
// [MQTT-6.0.0-2].
type wsConn struct {
	ws     *websocket.Conn
	ctx    context.Context
	cancel context.CancelFunc
	typ    websocket.MessageType
	local  net.Addr
	remote net.Addr

	rmu sync.Mutex
	r   io.Reader

	dmu           sync.Mutex
	readDeadline  time.Time
	writeDeadline time.Time
}

type addr string

func (a addr) Network() string { return "websocket" }
func (a addr) String() string  { return string(a) }

func newWSConn(ctx context.Context, ws *websocket.Conn, typ websocket.MessageType, r *http.Request) *wsConn {
	c := &wsConn{ws: ws, typ: typ, remote: addr(r.RemoteAddr), local: addr(r.Host)}
	if la, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr); ok {
		c.local = la
	}
	ws.SetReadLimit(-1) // the protocol reader enforces its own frame limits
	c.ctx, c.cancel = context.WithCancel(ctx)
	return c
}

func (c *wsConn) deadlineCtx(d time.Time) (context.Context, context.CancelFunc) {
	if d.IsZero() {
		return context.WithCancel(c.ctx)
	}
	return context.WithDeadline(c.ctx, d)
}

func (c *wsConn) Read(p []byte) (int, error) {
	c.rmu.Lock()
	defer c.rmu.Unlock()
	for {
		if c.r == nil {
			c.dmu.Lock()
			d := c.readDeadline
			c.dmu.Unlock()
			ctx, cancel := c.deadlineCtx(d)
			_, r, err := c.ws.Reader(ctx)
			cancel()
			if err != nil {
				s := websocket.CloseStatus(err)
				if s == websocket.StatusNormalClosure || s == websocket.StatusGoingAway {
					return 0, io.EOF
				}
				if errors.Is(err, context.DeadlineExceeded) {
					return 0, timeoutError{}
				}
				return 0, err
			}
			c.r = r
		}
		n, err := c.r.Read(p)
		if err == io.EOF {
			c.r = nil
			if n > 0 {
				return n, nil
			}
			continue
		}
		return n, err
	}
}

func (c *wsConn) Write(p []byte) (int, error) {
	c.dmu.Lock()
	d := c.writeDeadline
	c.dmu.Unlock()
	ctx, cancel := c.deadlineCtx(d)
	defer cancel()
	if err := c.ws.Write(ctx, c.typ, p); err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			return 0, timeoutError{}
		}
		return 0, err
	}
	return len(p), nil
}

func (c *wsConn) Close() error {
	c.cancel()
	return c.ws.Close(websocket.StatusNormalClosure, "")
}

func (c *wsConn) LocalAddr() net.Addr  { return c.local }
func (c *wsConn) RemoteAddr() net.Addr { return c.remote }

func (c *wsConn) SetDeadline(t time.Time) error {
	c.SetReadDeadline(t)
	return c.SetWriteDeadline(t)
}

func (c *wsConn) SetReadDeadline(t time.Time) error {
	c.dmu.Lock()
	c.readDeadline = t
	c.dmu.Unlock()
	return nil
}

func (c *wsConn) SetWriteDeadline(t time.Time) error {
	c.dmu.Lock()
	c.writeDeadline = t
	c.dmu.Unlock()
	return nil
}

type timeoutError struct{}

func (timeoutError) Error() string   { return "i/o timeout" }
func (timeoutError) Timeout() bool   { return true }
func (timeoutError) Temporary() bool { return true }
