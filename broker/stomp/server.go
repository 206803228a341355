// Package stomp is Hashi's STOMP 1.0, 1.1 and 1.2 server. Applications use it
// to read device telemetry from topics, send commands MQTT devices receive,
// and work queues with competing consumers, as they would against ActiveMQ.
// Frames are read and written by broker/stomp/frame (which reuses go-stomp's
// frame types); everything else goes through the broker core's API.
package stomp

import (
	"context"
	"net"
	"sync"
	"time"

	"github.com/go-stomp/stomp/v3/frame"
	"github.com/hashicorp/go-hclog"

	"github.com/hashi-broker/hashi/authz"
	"github.com/hashi-broker/hashi/broker"
	wire "github.com/hashi-broker/hashi/broker/stomp/frame"
	"github.com/hashi-broker/hashi/broker/transport"
)

// Options tune the STOMP server. Zero values take the defaults.
type Options struct {
	// ConnectTimeout bounds the wait for CONNECT. Default 10 s.
	ConnectTimeout time.Duration
	// MaxFrameSize applies when the connector sets no
	// wireFormat.maxFrameSize / maxDataLength. Default 100 MiB
	// (ActiveMQ's maxDataLength default).
	MaxFrameSize int
	// Prefetch is the default queue prefetch (activemq.prefetchSize). Default 1000.
	Prefetch int
	// HeartBeatGrace multiplies the client's heart-beat interval before a
	// silent connection is closed. Default 1.5.
	HeartBeatGrace float64
	// Version is reported in CONNECTED's server header.
	Version string
}

func (o *Options) defaults() {
	if o.ConnectTimeout <= 0 {
		o.ConnectTimeout = 10 * time.Second
	}
	if o.MaxFrameSize <= 0 {
		o.MaxFrameSize = 100 << 20
	}
	if o.Prefetch <= 0 {
		o.Prefetch = 1000
	}
	if o.HeartBeatGrace < 1 {
		o.HeartBeatGrace = 1.5
	}
	if o.Version == "" {
		o.Version = "dev"
	}
}

// BridgeAcceptor takes over a connection whose CONNECT asks for a network
// bridge (hashi-bridge header); network.Manager implements it. Accept runs
// for the bridge's lifetime.
type BridgeAcceptor interface {
	Accept(nc net.Conn, r *wire.Reader, connect *frame.Frame, id authz.Identity)
}

// SetBridges installs the acceptor for bridge connections.
func (s *Server) SetBridges(a BridgeAcceptor) {
	s.mu.Lock()
	s.bridges = a
	s.mu.Unlock()
}

// Server serves STOMP connections for one broker.
type Server struct {
	b    *broker.Broker
	log  hclog.Logger
	opts Options

	conns   transport.ConnSet[*conn]
	mu      sync.Mutex
	bridges BridgeAcceptor
	wg      sync.WaitGroup
}

// NewServer returns a STOMP server for b.
func NewServer(b *broker.Broker, log hclog.Logger, opts Options) *Server {
	opts.defaults()
	return &Server{b: b, log: log, opts: opts}
}

var _ transport.Handler = (*Server)(nil)

// Serve implements transport.Handler.
func (s *Server) Serve(ctx context.Context, nc net.Conn, info *transport.Info) func() {
	c := newConn(s, nc, info)
	if !s.conns.Add(c) {
		nc.Close()
		return nil
	}
	defer s.conns.Done(c)
	c.run(ctx)
	return nil
}

// Shutdown closes every STOMP connection and waits for them or ctx.
func (s *Server) Shutdown(ctx context.Context) error {
	return s.conns.Shutdown(ctx, func(c *conn) { c.closeWith("broker shutting down") })
}
