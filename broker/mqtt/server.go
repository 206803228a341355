// Package mqtt is Hashi's MQTT 3.1, 3.1.1 and 5.0 server. It speaks the wire
// protocol (through broker/mqtt/packet), keeps MQTT sessions, and talks to the
// broker core through its Subscribe/Publish API like every other protocol.
package mqtt

import (
	"context"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/hashi-broker/hashi/broker"
	"github.com/hashi-broker/hashi/broker/transport"
)

// Options tune the MQTT server. Zero values take the defaults below.
type Options struct {
	// MaxQueued is how many QoS 1/2 messages a session keeps beyond its
	// in-flight window (while the client is slow or offline). Beyond it new
	// messages are dropped and counted. Default 100000.
	MaxQueued int
	// MaxInflight is the send window for clients that do not say (MQTT 3.x)
	// and the cap on what MQTT 5 clients ask for. Default 1000.
	MaxInflight int
	// ReceiveMaximum is how many QoS 2 publishes a client may have
	// unreleased, advertised to MQTT 5 clients. Default 65535.
	ReceiveMaximum uint16
	// TopicAliasMaximum is the number of inbound topic aliases a client may
	// use. Default 1024.
	TopicAliasMaximum uint16
	// ConnectTimeout bounds the wait for CONNECT. Default 10 s.
	ConnectTimeout time.Duration
	// PublishDollarTopics lets clients publish to topics starting with '$'
	// (ActiveMQ's transport.publishDollarTopics). Default false: such
	// publishes are acknowledged and dropped, and counted.
	PublishDollarTopics bool
}

func (o *Options) defaults() {
	if o.MaxQueued <= 0 {
		o.MaxQueued = 100000
	}
	if o.MaxInflight <= 0 {
		o.MaxInflight = 1000
	}
	if o.ReceiveMaximum == 0 {
		o.ReceiveMaximum = 65535
	}
	if o.TopicAliasMaximum == 0 {
		o.TopicAliasMaximum = 1024
	}
	if o.ConnectTimeout <= 0 {
		o.ConnectTimeout = 10 * time.Second
	}
}

// Server serves MQTT connections for one broker. Sessions are shared by all
// of the broker's MQTT listeners (TCP, TLS, WebSocket).
type Server struct {
	b    *broker.Broker
	log  hclog.Logger
	opts Options

	mu       sync.Mutex
	sessions map[string]*session
	conns    transport.ConnSet[*conn]

	stopJanitor chan struct{}
	lastFullLog atomic.Int64
}

// NewServer returns a server for b.
func NewServer(b *broker.Broker, log hclog.Logger, opts Options) *Server {
	opts.defaults()
	s := &Server{
		b:           b,
		log:         log,
		opts:        opts,
		sessions:    make(map[string]*session),
		stopJanitor: make(chan struct{}),
	}
	return s
}

var _ transport.Handler = (*Server)(nil)

// Serve implements transport.Handler: it runs one connection to the end.
// The CONNECT exchange runs here; the connection's read loop is returned
// to run on a fresh goroutine, whose stack stays small while the device is
// idle.
func (s *Server) Serve(ctx context.Context, nc net.Conn, info *transport.Info) func() {
	c := newConn(s, nc, info)
	if !s.conns.Add(c) {
		nc.Close()
		return nil
	}
	if !c.handshake() {
		s.conns.Done(c)
		return nil
	}
	return func() {
		defer s.conns.Done(c)
		c.finish(c.readLoop())
	}
}

// Shutdown closes every connection (MQTT 5 clients get DISCONNECT 0x8B) and
// waits for them, or for ctx. Sessions stay as they are.
func (s *Server) Shutdown(ctx context.Context) error {
	if err := s.conns.Shutdown(ctx, (*conn).shutdown); err != nil {
		return err
	}
	s.mu.Lock()
	for _, ss := range s.sessions {
		ss.stopTimers()
	}
	s.mu.Unlock()
	return nil
}

// SessionCount is the number of sessions, connected or not.
func (s *Server) SessionCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.sessions)
}

// SessionInfo describes a session for tests and the console.
type SessionInfo struct {
	ClientID  string
	Connected bool
	Subs      []string
	Inflight  int
	Pending   int
	Queued    int // packets waiting in the connection's outbound queue
	Dropped   uint64
}

// Session returns information about the session of clientID.
func (s *Server) Session(clientID string) (SessionInfo, bool) {
	s.mu.Lock()
	ss := s.sessions[clientID]
	s.mu.Unlock()
	if ss == nil {
		return SessionInfo{}, false
	}
	ss.mu.Lock()
	defer ss.mu.Unlock()
	info := SessionInfo{ClientID: ss.id, Connected: ss.c != nil, Inflight: ss.win.n, Pending: ss.pending.Len(), Dropped: ss.dropped.Load()}
	if ss.c != nil {
		info.Queued = ss.c.out.Len()
	}
	for f := range ss.subs {
		info.Subs = append(info.Subs, f)
	}
	return info, true
}

// warnQueueFull logs, at most every 10 s, that a session's queue overflowed.
func (s *Server) warnQueueFull(ss *session, at int64) {
	now := at / 1000
	if last := s.lastFullLog.Load(); now-last >= 10 && s.lastFullLog.CompareAndSwap(last, now) {
		s.log.Warn("session queue full, dropping QoS 1/2 messages", "client", ss.id, "max_queued", s.opts.MaxQueued, "dropped_total", ss.dropped.Load())
	}
}
