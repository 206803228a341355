// Package transport turns transport connectors into accepted connections:
// TCP and TLS listeners, the auto-detecting listener that sniffs MQTT and
// STOMP on one port, and WebSocket. It knows nothing about the protocols
// beyond recognising their first bytes; each accepted connection goes to the
// Handler for its protocol.
package transport

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/hashi-broker/hashi/broker/transport/rawio"
	"github.com/hashi-broker/hashi/config"
)

// Handler serves one connection of its protocol. Serve returns when the
// connection is finished, or returns the rest of the connection's work
// (after the handshake) as a function, which the listener runs on a fresh
// goroutine: the handshake's deep stack is then freed, and an idle
// connection keeps only a small one (half the memory of an idle MQTT
// device). Either must end promptly once ctx is done.
type Handler interface {
	Serve(ctx context.Context, c net.Conn, info *Info) (rest func())
}

// Handlers maps protocols to their handlers.
type Handlers map[config.Protocol]Handler

// Info tells a handler what listener accepted the connection.
type Info struct {
	Connector *config.TransportConnector
	TLS       bool
	WebSocket bool
}

// Timeouts for the phase before a protocol handler takes over.
var (
	HandshakeTimeout = 10 * time.Second // TLS handshake
	DetectTimeout    = 10 * time.Second // first bytes on an auto-detecting listener
)

// Listener accepts connections for one transport connector.
type Listener struct {
	tc       config.TransportConnector
	ln       net.Listener
	tls      *tls.Config
	handlers Handlers
	log      hclog.Logger
	info     Info

	active  atomic.Int64
	total   atomic.Uint64
	refused atomic.Uint64

	ctx            context.Context
	cancel         context.CancelFunc
	lastRefusedLog atomic.Int64

	mu      sync.Mutex // guards the fields below and wg.Add against Close
	closed  bool
	wg      sync.WaitGroup // connections being handled
	httpSrv *http.Server
}

// track counts a connection that is about to be handled, unless the
// listener is closed: then the caller drops it. Close waits for every
// connection tracked before it was called.
func (l *Listener) track() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return false
	}
	l.wg.Add(1)
	return true
}

// Listen binds the connector's address. tlsCfg is required for TLS schemes.
func Listen(tc config.TransportConnector, tlsCfg *tls.Config, h Handlers, log hclog.Logger) (*Listener, error) {
	if tc.TLS && tlsCfg == nil {
		return nil, fmt.Errorf("transport connector %q (%s): TLS needs an <sslContext>", tc.Name, tc.URI)
	}
	// Like ActiveMQ (transport.keepAlive=false) and Mosquitto, accepted
	// sockets get no TCP keep-alive unless asked for: MQTT keep-alive and
	// STOMP heart-beats find dead peers, and Go's default would cost four
	// setsockopt calls per connection.
	lc := net.ListenConfig{KeepAlive: -1}
	if tc.TCPKeepAlive {
		lc.KeepAlive = 0 // Go's default: probes after 15 s idle
	}
	ln, err := lc.Listen(context.Background(), "tcp", tc.Addr)
	if err != nil {
		return nil, fmt.Errorf("transport connector %q: %w", tc.Name, err)
	}
	l := &Listener{tc: tc, ln: ln, tls: tlsCfg, handlers: h, log: log.With("connector", tc.Name, "addr", ln.Addr().String())}
	l.info = Info{Connector: &l.tc, TLS: tc.TLS, WebSocket: tc.Protocol == config.ProtoWS}
	l.ctx, l.cancel = context.WithCancel(context.Background())
	return l, nil
}

// Addr is the bound address (useful with port 0).
func (l *Listener) Addr() net.Addr { return l.ln.Addr() }

// Connector is the configuration this listener was started from.
func (l *Listener) Connector() config.TransportConnector { return l.tc }

// Active is the number of open connections.
func (l *Listener) Active() int64 { return l.active.Load() }

// Serve accepts until Close. It returns nil after Close.
func (l *Listener) Serve() error {
	if l.tc.Protocol == config.ProtoWS {
		return l.serveWS()
	}
	var delay time.Duration
	for {
		c, err := l.ln.Accept()
		if err != nil {
			if l.ctx.Err() != nil {
				return nil
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() || isTemporary(err) {
				// e.g. EMFILE: back off instead of spinning
				delay = min(max(2*delay, 5*time.Millisecond), time.Second)
				l.log.Warn("accept failed, retrying", "error", err, "delay", delay)
				time.Sleep(delay)
				continue
			}
			return err
		}
		delay = 0
		if !l.admit(c) {
			continue
		}
		if !l.track() {
			c.Close()
			return nil
		}
		go l.handle(c)
	}
}

func isTemporary(err error) bool {
	var t interface{ Temporary() bool }
	return errors.As(err, &t) && t.Temporary()
}

// admit enforces maximumConnections.
func (l *Listener) admit(c net.Conn) bool {
	if max := l.tc.MaximumConnections; max > 0 && l.active.Load() >= int64(max) {
		l.refused.Add(1)
		now := time.Now().Unix()
		if last := l.lastRefusedLog.Load(); now-last >= 10 && l.lastRefusedLog.CompareAndSwap(last, now) {
			l.log.Warn("Reached Maximum Connections, refusing", "maximumConnections", max, "remote", c.RemoteAddr().String(), "refused_total", l.refused.Load())
		}
		c.Close()
		return false
	}
	return true
}

func (l *Listener) handle(c net.Conn) {
	l.active.Add(1)
	l.total.Add(1)
	rest := l.serve(c)
	if rest == nil {
		l.done()
		return
	}
	go func() {
		defer l.done()
		rest()
	}()
}

// done ends the accounting of one connection started by handle.
func (l *Listener) done() {
	l.active.Add(-1)
	l.wg.Done()
}

// serve sets a connection up (TLS, protocol detection) and hands it to its
// protocol's handler.
func (l *Listener) serve(c net.Conn) (rest func()) {
	// Go's accept has already set TCP_NODELAY and TCP keep-alive (15 s)
	// on c: setting them again cost two system calls per connection.
	c = rawio.Wrap(c)
	if l.tc.TLS {
		tc := tlsServer(c, l)
		tc.SetDeadline(time.Now().Add(HandshakeTimeout))
		if err := tc.HandshakeContext(l.ctx); err != nil {
			l.log.Warn("TLS handshake failed", "remote", c.RemoteAddr().String(), "error", err)
			c.Close()
			return nil
		}
		tc.SetDeadline(time.Time{})
		c = tc
	}
	proto := l.tc.Protocol
	if proto == config.ProtoAuto {
		var err error
		proto, c, err = detect(c)
		if err != nil {
			l.log.Warn("closing connection: protocol not recognised", "remote", c.RemoteAddr().String(), "error", err)
			c.Close()
			return nil
		}
	}
	h := l.handlers[proto]
	if h == nil {
		l.log.Warn("closing connection: no handler for protocol", "protocol", proto, "remote", c.RemoteAddr().String())
		c.Close()
		return nil
	}
	return h.Serve(l.ctx, c, &l.info)
}

// Close stops accepting, tells handlers to finish (their ctx is cancelled)
// and waits for them or ctx.
func (l *Listener) Close(ctx context.Context) error {
	l.mu.Lock()
	l.closed = true
	srv := l.httpSrv
	l.mu.Unlock()
	l.cancel()
	err := l.ln.Close()
	if srv != nil {
		srv.Close()
	}
	done := make(chan struct{})
	go func() { l.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		return ctx.Err()
	}
	if errors.Is(err, net.ErrClosed) {
		err = nil
	}
	return err
}

func tlsServer(c net.Conn, l *Listener) *tls.Conn { return tls.Server(c, l.tls) }
