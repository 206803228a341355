package stomp

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/go-stomp/stomp/v3/frame"
	"github.com/hashicorp/go-hclog"

	"github.com/hashi-broker/hashi/authz"
	"github.com/hashi-broker/hashi/broker"
	"github.com/hashi-broker/hashi/broker/dest"
	wire "github.com/hashi-broker/hashi/broker/stomp/frame"
	"github.com/hashi-broker/hashi/broker/transport"
)

// conn is one STOMP connection: a reader goroutine handling frames and a
// writer goroutine draining the outbound queue (and sending heart-beats).
type conn struct {
	srv    *Server
	b      *broker.Broker
	nc     net.Conn
	info   *transport.Info
	log    hclog.Logger
	id     uint64
	remote string
	r      *wire.Reader
	out    *outq

	// Set by CONNECT.
	version  string
	ident    authz.Identity
	clientID string
	hbOut    time.Duration // we send a heart-beat when idle this long
	hbIn     time.Duration // we close when the client is silent this long

	// Reader goroutine only.
	orig     *broker.Origin // of the messages it sends (see origin)
	lastSend destHeader     // the last plain SEND destination resolved
	subs     map[string]*subscription
	ackSub   *subscription // found the last 1.2 ACK: tried first by the next
	acks     ackBatch      // plain ACKs read but not yet settled
	txs      map[string]*transaction

	// Writer goroutine only.
	lastWritten destHeader // the last destination a MESSAGE named

	mu    sync.Mutex
	byMsg map[string][]ackRef         // 1.0/1.1 acks by message-id (one per subscription)
	temps map[string]dest.Destination // "/temp-queue/x" -> its broker name

	closeOnce  sync.Once
	reason     string
	writerDone chan struct{}
	unregister func()
}

// destHeader pairs a STOMP destination header with the destination it names.
type destHeader struct {
	header string
	d      dest.Destination
}

// ackRef locates a delivery awaiting ACK.
type ackRef struct {
	sub *subscription
	tag uint64
}

func newConn(srv *Server, nc net.Conn, info *transport.Info) *conn {
	c := &conn{
		srv:        srv,
		b:          srv.b,
		nc:         nc,
		info:       info,
		id:         srv.b.NextConnID(),
		remote:     nc.RemoteAddr().String(),
		out:        newOutq(),
		subs:       make(map[string]*subscription),
		txs:        make(map[string]*transaction),
		temps:      make(map[string]dest.Destination),
		byMsg:      make(map[string][]ackRef),
		version:    "1.0",
		writerDone: make(chan struct{}),
	}
	c.log = srv.log.With("conn", c.id, "remote", c.remote)
	c.r = wire.NewReader(nc, 32*1024)
	c.r.MaxFrameSize = srv.opts.MaxFrameSize
	// Small bodies are read into one buffer and copied into the message
	// they become, which holds them in the same allocation (toMessage).
	c.r.ReuseBody, c.r.ReuseBodyMax = true, smallBody
	if info != nil && info.Connector != nil && info.Connector.MaxFrameSize > 0 {
		c.r.MaxFrameSize = int(info.Connector.MaxFrameSize)
	}
	return c
}

// errDisconnect ends the read loop after DISCONNECT.
var errDisconnect = errors.New("client sent DISCONNECT")

// protoErr is a frame-level problem: the client gets an ERROR frame; fatal
// ones close the connection afterwards.
type protoErr struct {
	msg   string
	fatal bool
}

func (e *protoErr) Error() string { return e.msg }

func fatalf(format string, args ...any) error {
	return &protoErr{msg: sprintf(format, args...), fatal: true}
}

func refusef(format string, args ...any) error {
	return &protoErr{msg: sprintf(format, args...)}
}

func (c *conn) run(ctx context.Context) {
	c.nc.SetReadDeadline(time.Now().Add(c.srv.opts.ConnectTimeout))
	var f *frame.Frame
	var err error
	for f == nil && err == nil {
		f, err = c.r.Read() // heart-beats before CONNECT are skipped
	}
	if err != nil {
		c.log.Warn("closing connection: no valid CONNECT", "error", err)
		c.writeError(nil, "Invalid frame before CONNECT: "+err.Error())
		c.nc.Close()
		return
	}
	if f.Command != frame.CONNECT && f.Command != frame.STOMP {
		c.log.Warn("closing connection: first frame is not CONNECT", "command", f.Command)
		c.writeError(f, "Expected CONNECT or STOMP frame, got "+f.Command)
		c.nc.Close()
		return
	}
	if _, ok := f.Header.Contains("hashi-bridge"); ok {
		c.acceptBridge(f)
		return
	}
	if !c.connect(f) {
		c.nc.Close()
		return
	}
	c.unregister = c.b.Register(&broker.ConnInfo{
		ID: c.id, Protocol: "stomp", Connector: connectorName(c.info), ClientID: c.clientID,
		User: c.ident.User, Remote: c.remote, Close: c.closeWith,
	})
	go c.writeLoop()
	stop := context.AfterFunc(ctx, func() { c.closeWith("broker shutting down") })
	err = c.readLoop()
	stop()
	c.finish(err)
}

func connectorName(info *transport.Info) string {
	if info == nil || info.Connector == nil {
		return ""
	}
	return info.Connector.Name
}

func (c *conn) readLoop() error {
	c.nc.SetReadDeadline(time.Time{})
	// No frame is kept past handling it (the strings in it may be), so
	// every frame is read into the same one; the CONNECT, which a network
	// bridge takes over, was read before.
	c.r.ReuseFrame = true
	defer c.settleAcks()
	var deadlineAt time.Time
	for {
		if c.r.Buffered() == 0 {
			c.settleAcks() // before waiting for the network
		}
		// A client silent for hbIn is gone. The deadline moves when the
		// buffer is empty, at most every tenth of hbIn (a timer update per
		// frame cost a busy connection several percent), so it fires
		// after hbIn to 1.1 hbIn of silence.
		if c.hbIn > 0 && c.r.Buffered() == 0 {
			if now := time.Now(); now.Sub(deadlineAt) > c.hbIn/10 {
				c.nc.SetReadDeadline(now.Add(c.hbIn + c.hbIn/10))
				deadlineAt = now
			}
		}
		f, err := c.r.Read()
		if err != nil {
			return err
		}
		if f == nil {
			continue // heart-beat
		}
		if c.batchAck(f) {
			continue
		}
		c.settleAcks() // in order with the frame that follows them
		err = c.handle(f)
		var pe *protoErr
		switch {
		case err == nil:
			c.receipt(f)
		case errors.As(err, &pe):
			c.sendError(f, pe.msg)
			if pe.fatal {
				return err
			}
		default:
			return err
		}
	}
}

func (c *conn) handle(f *frame.Frame) error {
	switch f.Command {
	case frame.SEND:
		return c.handleSend(f)
	case frame.SUBSCRIBE:
		return c.handleSubscribe(f)
	case frame.UNSUBSCRIBE:
		return c.handleUnsubscribe(f)
	case frame.ACK:
		return c.handleAck(f, true)
	case frame.NACK:
		if c.version == "1.0" {
			return fatalf("NACK is not a STOMP 1.0 frame")
		}
		return c.handleAck(f, false)
	case frame.BEGIN:
		return c.begin(f)
	case frame.COMMIT:
		return c.commit(f)
	case frame.ABORT:
		return c.abort(f)
	case frame.DISCONNECT:
		c.receipt(f)
		return errDisconnect
	case frame.CONNECT, frame.STOMP:
		return fatalf("Already connected")
	}
	return fatalf("Unknown STOMP action: %s", f.Command)
}

// receipt answers a frame's receipt header.
func (c *conn) receipt(f *frame.Frame) {
	if r, ok := f.Header.Contains(frame.Receipt); ok && f.Command != frame.CONNECT && f.Command != frame.STOMP {
		c.out.push(outItem{receipt: r})
	}
}

func (c *conn) push(f *frame.Frame) {
	c.out.push(outItem{raw: wire.Append(nil, f, c.version)})
}

// sendError queues an ERROR frame as ActiveMQ sends them: a message header,
// a text body, and the receipt-id of the failing frame.
func (c *conn) sendError(f *frame.Frame, msg string) {
	c.push(errorFrame(f, msg))
	c.log.Warn("ERROR sent to client", "message", msg, "command", commandOf(f))
}

func errorFrame(f *frame.Frame, msg string) *frame.Frame {
	e := frame.New(frame.ERROR, frame.Message, msg, frame.ContentType, "text/plain")
	if f != nil {
		if r, ok := f.Header.Contains(frame.Receipt); ok {
			e.Header.Add(frame.ReceiptId, r)
		}
	}
	e.Body = []byte(msg)
	return e
}

func commandOf(f *frame.Frame) string {
	if f == nil {
		return ""
	}
	return f.Command
}

// writeError writes an ERROR before the writer runs (CONNECT failures).
func (c *conn) writeError(f *frame.Frame, msg string) {
	c.nc.SetWriteDeadline(time.Now().Add(5 * time.Second))
	c.nc.Write(wire.Append(nil, errorFrame(f, msg), c.version))
}

// closeWith makes the connection go away: the writer drains what is queued
// (an ERROR or RECEIPT) and closes the socket. Safe from any goroutine.
func (c *conn) closeWith(why string) {
	c.closeOnce.Do(func() {
		c.reason = why
		c.out.close()
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

// finish tears the connection down: subscriptions end (queue messages not
// acknowledged return to their queues, redelivered), open transactions are
// rolled back, temporary destinations are deleted.
func (c *conn) finish(err error) {
	var pe *protoErr
	switch {
	case errors.Is(err, errDisconnect):
		c.closeWith("client disconnected")
	case errors.Is(err, io.EOF):
		c.closeWith("client closed the connection")
	case errors.Is(err, os.ErrDeadlineExceeded) && c.reason == "":
		c.log.Warn("no heart-beat from client, closing", "timeout", c.hbIn)
		c.closeWith("heart-beat timeout")
	case errors.As(err, &pe):
		c.closeWith("protocol error: " + pe.msg)
	case isFrameError(err):
		c.sendError(nil, err.Error())
		c.closeWith("bad frame: " + err.Error())
	default:
		c.closeWith("read error: " + err.Error())
	}
	<-c.writerDone
	c.nc.Close()
	for id := range c.txs {
		c.rollback(id)
	}
	for _, s := range c.subs {
		c.stopSub(s)
	}
	c.b.DeleteTemp(c.id)
	if c.unregister != nil {
		c.unregister()
	}
	c.log.Info("client disconnected", "reason", c.reason)
}

func isFrameError(err error) bool {
	for _, e := range []error{wire.ErrFrameTooLarge, wire.ErrTooManyHeaders, wire.ErrHeaderLineTooLong, wire.ErrInvalidCommand, wire.ErrMalformed, wire.ErrBadEscape} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

func itoa(n uint64) string { return strconv.FormatUint(n, 10) }

// acceptBridge authenticates a network bridge's CONNECT and hands the
// connection to the network layer for the rest of its life.
func (c *conn) acceptBridge(f *frame.Frame) {
	c.srv.mu.Lock()
	acc := c.srv.bridges
	c.srv.mu.Unlock()
	login, hasLogin := f.Header.Contains(frame.Login)
	id, err := c.b.Authenticate(login, f.Header.Get(frame.Passcode), hasLogin && login != "")
	switch {
	case err != nil:
		c.b.LoginFailed("bridge", login, f.Header.Get("hashi-broker"), c.remote, err)
		c.writeError(f, err.Error())
	case acc == nil:
		c.writeError(f, "this broker does not accept network bridges")
	default:
		c.nc.SetReadDeadline(time.Time{})
		acc.Accept(c.nc, c.r, f, id)
	}
	c.nc.Close()
}

// origin is what the connection's messages carry as their Origin, one
// value for all of them (reader goroutine only).
func (c *conn) origin() *broker.Origin {
	if c.orig == nil {
		c.orig = &broker.Origin{ConnID: c.id, ClientID: c.clientID, User: c.ident.User}
	}
	return c.orig
}
