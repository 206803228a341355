package mqtt

import (
	"errors"
	"io"
	"net"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/hashi-broker/hashi/authz"
	"github.com/hashi-broker/hashi/broker"
	"github.com/hashi-broker/hashi/broker/mqtt/packet"
	"github.com/hashi-broker/hashi/broker/transport"
	"github.com/hashi-broker/hashi/broker/transport/rawio"
)

// conn is one MQTT network connection. Its reader goroutine (run) decodes and
// handles packets; its writer goroutine drains the outbound queue (at light
// load, the goroutine that queues a lone packet writes it: writeInline).
type conn struct {
	srv    *Server
	b      *broker.Broker
	nc     net.Conn
	info   *transport.Info
	id     uint64
	remote string
	r      *packet.Reader
	out    *outq

	// Set by CONNECT, then read-only.
	version   byte
	clientID  string
	ident     authz.Identity
	sess      *session
	keepAlive time.Duration
	sendQuota int
	maxOut    uint32 // client's Maximum Packet Size, 0 = none
	will      *will

	// Reader goroutine only.
	origin     *broker.Origin // of the messages it publishes
	now        time.Time      // when the current read buffer was filled
	deadlineAt time.Time      // when the read deadline was last moved
	published  int
	names      map[string]string // MQTT topic -> ActiveMQ name, for valid topics
	lastTopic  string            // the last topic published to, and its name: no lookup
	lastName   string
	aliases    map[uint16]string
	writeOK    map[string]bool
	writeGen   uint64
	dollarWarn bool
	disconnect *packet.Disconnect // the client's DISCONNECT, if any
	acks       []uint16           // PUBACKs read but not yet applied (flushAcks)
	run        []*broker.Message  // publishes read but not yet published (flushRun)
	runIDs     []uint16           // their packet ids
	runAcks    []outItem          // flushRun's scratch
	idleRun    bool               // the run being flushed is the last before the reader waits
	lateAcks   []outItem          // its PUBACKs, queued after the subscribers' writers ran

	v5         atomic.Bool // CONNECT said MQTT 5; read by closeWith from any goroutine
	unregister func()
	gate       ackGate            // acknowledgements held for congested receivers
	props      *packet.Properties // writer scratch for MQTT 5 properties, made on first use
	tw         rawio.TryWriter    // nc, where it can write without waiting (writeInline)
	doneOnce   sync.Once
	closeOnce  sync.Once
	closed     atomic.Bool // closeWith ran
	reason     string      // why the connection closed, for the log; set in closeOnce
	writerDone chan struct{}
}

func newConn(srv *Server, nc net.Conn, info *transport.Info) *conn {
	c := &conn{
		srv:        srv,
		b:          srv.b,
		nc:         nc,
		info:       info,
		id:         srv.b.NextConnID(),
		remote:     nc.RemoteAddr().String(),
		writerDone: make(chan struct{}),
	}
	c.out = newOutq(func() { go c.writeLoop(nil, nil) })
	if tw, ok := nc.(rawio.TryWriter); ok {
		c.tw = tw
		c.out.startInline = c.writeInline
	}
	c.out.acked = ackedProbe(nc)
	// Small to start: most connections are quiet devices. A connection
	// that publishes gets a large buffer (see handlePublish).
	c.r = packet.NewReader(nc, 256)
	c.r.Borrow = true // handlePublish copies what it keeps
	if info != nil && info.Connector != nil && info.Connector.MaxFrameSize > 0 {
		c.r.MaxPacketSize = int(min(info.Connector.MaxFrameSize, packet.MaxRemainingLength+5))
	}
	return c
}

// errClientDisconnect ends the read loop after a DISCONNECT.
var errClientDisconnect = errors.New("client sent DISCONNECT")

// handshake reads the CONNECT and answers it; it reports whether the
// connection goes on to readLoop. Server.Shutdown ends a connection, also
// while it still waits for its CONNECT; a removed transport connector closes
// its connections through the broker's connection registry.
func (c *conn) handshake() bool {
	c.nc.SetReadDeadline(time.Now().Add(c.srv.opts.ConnectTimeout))
	p, err := c.r.Read()
	if err != nil {
		c.refuseUnreadable(p, err)
		c.abort()
		return false
	}
	cp, ok := p.(*packet.Connect)
	if !ok {
		// [MQTT-3.1.0-1] the first packet must be CONNECT.
		c.early().Warn("closing connection: first packet is not CONNECT", "packet", p.Type().String())
		c.abort()
		return false
	}
	if !c.connect(cp) {
		c.abort()
		return false
	}
	return true
}

// abort closes a connection that never got a writer (refused or broken
// before CONNACK).
func (c *conn) abort() {
	c.finishWriting()
	c.nc.Close()
}

// refuseUnreadable answers a CONNECT that could not be accepted as read:
// an unsupported protocol level gets CONNACK 0x01 [MQTT-3.1.2-2]; anything
// else just closes.
func (c *conn) refuseUnreadable(p packet.Packet, err error) {
	if cp, ok := p.(*packet.Connect); ok && errors.Is(err, packet.UnsupportedProtocolVersion) {
		c.early().Warn("refusing connection: unsupported MQTT protocol level", "level", cp.ProtocolVersion, "client", cp.ClientID)
		// Answer in the 3.1.1 form (20 02 00 01), which every client level
		// can parse; the MQTT 5 form (0x84 plus properties) would be
		// malformed for an older client [MQTT-3.1.2-2].
		c.writeNow(&packet.Connack{ReasonCode: packet.UnsupportedProtocolVersion}, packet.V311)
		return
	}
	switch {
	case errors.Is(err, io.EOF):
		c.early().Debug("connection closed before CONNECT")
	case errors.Is(err, os.ErrDeadlineExceeded):
		c.early().Warn("closing connection: no CONNECT received", "timeout", c.srv.opts.ConnectTimeout)
	default:
		c.early().Warn("closing connection: bad CONNECT", "error", err)
	}
}

// writeNow encodes and writes p synchronously (before the writer runs).
func (c *conn) writeNow(p packet.Packet, version byte) {
	buf, err := packet.Append(nil, p, version)
	if err != nil {
		c.early().Error("encoding failed", "packet", p.Type().String(), "error", err)
		return
	}
	c.nc.SetWriteDeadline(time.Now().Add(handshakeWriteTimeout))
	c.nc.Write(buf)
	c.nc.SetWriteDeadline(time.Time{}) // the writer's writes have no deadline
}

// handshakeWriteTimeout bounds writing CONNACK.
var handshakeWriteTimeout = 5 * time.Second

// readLoop reads and handles packets. The clock is read, and the keep-alive
// deadline moved, only when the buffer is empty and the next read goes to
// the network: a stream of packets costs one clock read per buffer, not per
// packet.
func (c *conn) readLoop() error {
	c.nc.SetReadDeadline(time.Time{})
	defer c.flushAcks()
	defer c.flushRun() // what was read whole is published, as one by one
	defer c.sendLateAcks()
	for {
		if c.r.Buffered() == 0 {
			// Before going to the network, let the writers this
			// packet woke write: at light load the broker runs on
			// one thread (see cmd/hashi/procs.go), where the reader
			// would otherwise first make a read that finds nothing
			// and park, and only then would a subscriber's writer
			// run. At 2,000 QoS 0 messages a second that took
			// 13 µs off the p50 latency (paired runs).
			runtime.Gosched()
			c.sendLateAcks() // only a run that emptied the buffer leaves any
			c.now = time.Now()
			if ka := c.keepAlive; ka > 0 && c.now.Sub(c.deadlineAt) > ka/4 {
				// [MQTT-3.1.2-24] one and a half times the keep alive;
				// refreshed every quarter of it, so up to 1.75 times.
				c.nc.SetReadDeadline(c.now.Add(ka*3/2 + ka/4))
				c.deadlineAt = c.now
			}
		}
		p, err := c.r.Read()
		if err != nil {
			return err
		}
		if err := c.handle(p); err != nil {
			return err
		}
		if len(c.acks) > 0 && (len(c.acks) >= maxAckRun || !c.r.Ready()) {
			if len(c.acks) >= busyAcker {
				// A buffer mostly PUBACKs: a subscriber taking a stream
				// of QoS 1 messages. A larger buffer reads its
				// acknowledgements with a sixteenth of the system calls.
				c.r.Grow(ackBufferSize)
			}
			c.flushAcks()
		}
		if len(c.run) > 0 && !c.r.Ready() {
			// A run followed by PUBACKs (which do not end it) is
			// published before the reader waits for the network.
			c.flushIdleRun()
		}
	}
}

// sendLateAcks queues the PUBACKs of the last run before the reader
// yielded (idleRun): queued before the yield, their writer, started last,
// would have run first and delayed the deliveries by a write.
func (c *conn) sendLateAcks() {
	if len(c.lateAcks) > 0 {
		c.sendAcks(c.lateAcks)
		clear(c.lateAcks)
		c.lateAcks = c.lateAcks[:0]
	}
}

const (
	// maxAckRun bounds the PUBACKs applied under one lock of the session.
	maxAckRun = 256
	// busyAcker is the number of PUBACKs read from one buffer that grows
	// it to ackBufferSize (the 256-byte buffer holds at most 64).
	busyAcker     = 32
	ackBufferSize = 4 << 10
)

// flushAcks applies the PUBACKs read since the last flush: one lock of the
// session and one refill of its window for the lot, instead of one per
// packet. They wait only while more packets are already buffered, and
// never across another kind of packet.
func (c *conn) flushAcks() {
	if len(c.acks) > 0 {
		c.sess.ackedAll(c.acks, c.now)
		c.acks = c.acks[:0]
	}
}

func (c *conn) handle(p packet.Packet) error {
	if a, ok := p.(*packet.Ack); ok && a.PacketType == packet.TypePuback {
		c.acks = append(c.acks, a.PacketID)
		return nil
	}
	c.flushAcks()
	if p, ok := p.(*packet.Publish); ok {
		return c.handlePublish(p)
	}
	c.flushRun()
	switch p := p.(type) {
	case *packet.Ack:
		return c.handleAck(p)
	case *packet.Subscribe:
		return c.handleSubscribe(p)
	case *packet.Unsubscribe:
		return c.handleUnsubscribe(p)
	case *packet.Pingreq:
		c.out.push(outItem{ctl: &packet.Pingresp{}})
		return nil
	case *packet.Disconnect:
		return c.handleDisconnect(p)
	case *packet.Connect:
		return protocolError("second CONNECT [MQTT-3.1.0-2]")
	case *packet.Auth:
		// No enhanced authentication method is offered, so AUTH is a
		// protocol error [MQTT-4.12.0-?].
		return protocolError("AUTH without an authentication method")
	}
	return protocolError("unexpected " + p.Type().String() + " from a client")
}

func protocolError(msg string) error {
	return &packet.Error{Code: packet.ProtocolError, Msg: msg}
}

func (c *conn) handleAck(p *packet.Ack) error {
	switch p.PacketType {
	case packet.TypePubrec:
		if c.sess.pubrec(p.PacketID, p.ReasonCode.IsError()) && !p.ReasonCode.IsError() {
			c.out.push(ackItem(packet.TypePubrel, p.PacketID, packet.Success))
		} else if !p.ReasonCode.IsError() {
			// Unknown id: answer so the client can finish [MQTT-4.3.3-?].
			c.out.push(ackItem(packet.TypePubrel, p.PacketID, packet.PacketIdentifierNotFound))
		}
	case packet.TypePubrel:
		code := packet.Success
		c.sess.mu.Lock()
		if _, ok := c.sess.inbound2[uint32(p.PacketID)]; ok {
			delete(c.sess.inbound2, uint32(p.PacketID))
		} else {
			code = packet.PacketIdentifierNotFound
		}
		c.sess.mu.Unlock()
		if c.version < packet.V5 {
			code = packet.Success
		}
		c.out.push(ackItem(packet.TypePubcomp, p.PacketID, code))
	case packet.TypePubcomp:
		c.sess.acked(p.PacketID, c.now)
	}
	return nil
}

func (c *conn) handleDisconnect(p *packet.Disconnect) error {
	c.disconnect = p
	if c.version == packet.V5 && p.Properties.Has(packet.PropSessionExpiryInterval) {
		c.sess.mu.Lock()
		if c.sess.expiry == 0 && p.Properties.SessionExpiryInterval != 0 {
			c.sess.mu.Unlock()
			// [MQTT-3.14.2-2] cannot go from 0 to non-zero.
			return protocolError("DISCONNECT sets a session expiry after CONNECT said 0")
		}
		c.sess.expiry = expiryOf(p.Properties.SessionExpiryInterval)
		c.sess.mu.Unlock()
	}
	return errClientDisconnect
}

// closeWith asks the connection to close: MQTT 5 clients get a DISCONNECT
// with code first, unless code is Success, which means the client ended the
// connection itself and is told nothing [MQTT-3.14.4-3]. Safe from any
// goroutine; the writer sends the DISCONNECT after CONNACK [MQTT-3.14.0-1].
func (c *conn) closeWith(code packet.ReasonCode, why string) {
	c.closeOnce.Do(func() {
		c.reason = why
		c.closed.Store(true)
		if c.v5.Load() && code != packet.Success {
			c.out.push(outItem{ctl: &packet.Disconnect{ReasonCode: code}})
		}
		c.out.close()
		// Unblock the reader; the writer closes the socket when it is done.
		c.nc.SetReadDeadline(time.Now())
		go func() {
			select {
			case <-c.writerDone:
			case <-time.After(2 * time.Second):
			}
			c.nc.Close()
		}()
	})
}

// shutdown is called when the broker stops.
func (c *conn) shutdown() { c.closeWith(packet.ServerShuttingDown, "broker shutting down") }

// takenOver is called when another connection takes the session over.
func (c *conn) takenOver() {
	c.closeWith(packet.SessionTakenOver, "session taken over by a new connection")
}

// finish runs after the read loop: it explains the close, stops the writer,
// and hands the session back (publishing the will unless the client said a
// normal goodbye).
func (c *conn) finish(err error) {
	normal := false
	switch {
	case errors.Is(err, errClientDisconnect):
		normal = c.disconnect.ReasonCode != packet.DisconnectWithWill
		c.closeWith(packet.Success, "client disconnected")
	case errors.Is(err, io.EOF):
		c.closeWith(packet.Success, "client closed the connection without DISCONNECT")
	case errors.Is(err, os.ErrDeadlineExceeded) && !c.closed.Load():
		c.closeWith(packet.KeepAliveTimeout, "keep alive timeout")
	default:
		if code, ok := packet.CodeOf(err); ok && !c.closed.Load() {
			c.logger().Warn("protocol violation, closing", "error", err)
			c.closeWith(code, err.Error())
		} else {
			c.closeWith(packet.UnspecifiedError, "read error: "+errString(err))
		}
	}
	<-c.writerDone
	c.nc.Close()
	c.srv.detach(c, normal)
	if c.unregister != nil {
		c.unregister()
	}
	if c.srv.log.IsInfo() {
		c.logger().Info("client disconnected", "reason", c.reason)
	}
}

func errString(err error) string {
	if err == nil {
		return "none"
	}
	return err.Error()
}

// early is the logger for a connection whose CONNECT was not accepted yet.
func (c *conn) early() hclog.Logger { return c.srv.log.With("conn", c.id, "remote", c.remote) }

// logger is the connection's logger. It is made when something is logged
// rather than kept: ten thousand idle devices should not each hold one.
func (c *conn) logger() hclog.Logger {
	args := []any{"conn", c.id, "remote", c.remote, "client", c.clientID}
	if c.ident.User != "" {
		args = append(args, "user", c.ident.User)
	}
	return c.srv.log.With(args...)
}
