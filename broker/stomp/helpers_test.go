package stomp_test

import (
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/go-stomp/stomp/v3/frame"
	"go.uber.org/goleak"

	"github.com/hashi-broker/hashi/broker/server"
	"github.com/hashi-broker/hashi/broker/server/servertest"
	wire "github.com/hashi-broker/hashi/broker/stomp/frame"
)

// Tests here run a whole broker in process (broker/server assembled from
// activemq.xml text) and speak STOMP to it over TCP: frames are written with
// the codec's Append (or as raw bytes) and what the server sends is decoded
// with its Reader, so every assertion is about the wire.
//
// Absence is never asserted by sleeping: a frame asking for a RECEIPT is
// sent and everything the server queued before that RECEIPT is what it sent.

func TestMain(m *testing.M) {
	// Every goroutine of the server must be gone once all brokers stopped.
	goleak.VerifyTestMain(m)
}

// ioTimeout bounds every read a test expects to succeed.
const ioTimeout = 5 * time.Second

const stompConnector = `<transportConnectors>
  <transportConnector name="stomp" uri="stomp://127.0.0.1:0%s"/>
</transportConnectors>`

// testBroker is one in-process broker with a STOMP connector on a random port.
type testBroker struct {
	*servertest.Broker
	t    testing.TB
	addr string
}

// startBroker starts a broker whose <broker> element holds children; a STOMP
// connector with the URI query opts is added unless children declares
// connectors.
func startBroker(t testing.TB, children, opts string) *testBroker {
	t.Helper()
	if !strings.Contains(children, "<transportConnectors>") {
		children += fmt.Sprintf(stompConnector, opts)
	}
	b := servertest.Start(t, children, server.Options{})
	return &testBroker{Broker: b, t: t, addr: b.Addr("stomp")}
}

// client is a raw STOMP peer.
type client struct {
	t   testing.TB
	nc  net.Conn
	r   *wire.Reader
	v   string
	hbs int // heart-beats read so far
	seq int // receipt counter
	// Frames read while waiting for a RECEIPT, returned by read first.
	pending []*frame.Frame
}

// dial opens a TCP connection; nothing is sent yet.
func (b *testBroker) dial(t testing.TB) *client {
	t.Helper()
	nc, err := net.DialTimeout("tcp", b.addr, ioTimeout)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	return &client{t: t, nc: nc, r: wire.NewReader(nc, 0), v: "1.0"}
}

// connect dials and sends CONNECT with accept-version:1.2 unless hdr names
// another, failing unless CONNECTED comes back.
func (b *testBroker) connect(t testing.TB, hdr ...string) *client {
	t.Helper()
	c := b.dial(t)
	if !hasHeader(hdr, frame.AcceptVersion) {
		hdr = append([]string{frame.AcceptVersion, "1.2"}, hdr...)
	}
	c.send(frame.CONNECT, hdr...)
	f := c.expect(frame.CONNECTED)
	c.v = f.Header.Get(frame.Version)
	if c.v == "" {
		c.v = "1.0"
	}
	c.r.Version = c.v
	return c
}

func hasHeader(hdr []string, name string) bool {
	for i := 0; i+1 < len(hdr); i += 2 {
		if hdr[i] == name {
			return true
		}
	}
	return false
}

// send writes a frame without body.
func (c *client) send(cmd string, hdr ...string) { c.sendBody(cmd, nil, hdr...) }

// sendBody writes a frame encoded for the negotiated version.
func (c *client) sendBody(cmd string, body []byte, hdr ...string) {
	c.t.Helper()
	f := frame.New(cmd, hdr...)
	f.Body = body
	c.raw(string(wire.Append(nil, f, c.v)))
}

// raw writes bytes as they are.
func (c *client) raw(s string) {
	c.t.Helper()
	c.nc.SetWriteDeadline(time.Now().Add(ioTimeout))
	if _, err := io.WriteString(c.nc, s); err != nil {
		c.t.Fatalf("write: %v", err)
	}
}

// read returns the next frame, counting and skipping heart-beats.
func (c *client) read() (*frame.Frame, error) {
	if len(c.pending) > 0 {
		f := c.pending[0]
		c.pending = c.pending[1:]
		return f, nil
	}
	c.nc.SetReadDeadline(time.Now().Add(ioTimeout))
	for {
		f, err := c.r.Read()
		if err != nil || f != nil {
			return f, err
		}
		c.hbs++
	}
}

// expect reads the next frame and fails unless it is a cmd.
func (c *client) expect(cmd string) *frame.Frame {
	c.t.Helper()
	f, err := c.read()
	if err != nil {
		c.t.Fatalf("waiting for %s: %v", cmd, err)
	}
	if f.Command != cmd {
		c.t.Fatalf("got %s %v %q, want %s", f.Command, headers(f), f.Body, cmd)
	}
	return f
}

// expectError reads an ERROR and checks its message header and body.
func (c *client) expectError(msg string) *frame.Frame {
	c.t.Helper()
	f := c.expect(frame.ERROR)
	if got := f.Header.Get(frame.Message); !strings.Contains(got, msg) {
		c.t.Fatalf("ERROR message = %q, want it to contain %q", got, msg)
	}
	if !strings.Contains(string(f.Body), msg) {
		c.t.Fatalf("ERROR body = %q, want it to contain %q", f.Body, msg)
	}
	return f
}

// expectClosed reads until the server closes the connection; any frame
// other than a heart-beat fails the test.
func (c *client) expectClosed() {
	c.t.Helper()
	f, err := c.read()
	if err == nil {
		c.t.Fatalf("got %s %v %q, want the connection closed", f.Command, headers(f), f.Body)
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		c.t.Fatalf("connection still open after %v", ioTimeout)
	}
}

// sync sends a frame asking for a receipt and returns every frame the server
// sent before the RECEIPT.
func (c *client) sync() []*frame.Frame {
	c.t.Helper()
	c.seq++
	id := fmt.Sprintf("sync-%d", c.seq)
	// BEGIN+ABORT of a throw-away transaction is a frame without effect.
	c.send(frame.BEGIN, frame.Transaction, id)
	c.send(frame.ABORT, frame.Transaction, id, frame.Receipt, id)
	var before []*frame.Frame
	for {
		f, err := c.read()
		if err != nil {
			c.t.Fatalf("waiting for RECEIPT %s: %v", id, err)
		}
		if f.Command == frame.RECEIPT && f.Header.Get(frame.ReceiptId) == id {
			return before
		}
		before = append(before, f)
	}
}

// quiet fails if the server sent anything before a sync RECEIPT.
func (c *client) quiet(what string) {
	c.t.Helper()
	if fs := c.sync(); len(fs) > 0 {
		c.t.Fatalf("%s: got %s %v %q", what, fs[0].Command, headers(fs[0]), fs[0].Body)
	}
}

// receipt sends a frame with a receipt header and waits for the RECEIPT;
// other frames that arrive first (MESSAGEs) are kept for read. An ERROR
// fails the test.
func (c *client) receipt(cmd string, body []byte, hdr ...string) {
	c.t.Helper()
	c.seq++
	id := fmt.Sprintf("r-%d", c.seq)
	c.sendBody(cmd, body, append(hdr, frame.Receipt, id)...)
	var kept []*frame.Frame
	for {
		f, err := c.read()
		if err != nil {
			c.t.Fatalf("waiting for RECEIPT of %s: %v", cmd, err)
		}
		switch {
		case f.Command == frame.RECEIPT && f.Header.Get(frame.ReceiptId) == id:
			c.pending = append(c.pending, kept...)
			return
		case f.Command == frame.ERROR || f.Command == frame.RECEIPT:
			c.t.Fatalf("%s: got %s %v %q, want RECEIPT %s", cmd, f.Command, headers(f), f.Body, id)
		}
		kept = append(kept, f)
	}
}

// messages reads n MESSAGE frames.
func (c *client) messages(n int) []*frame.Frame {
	c.t.Helper()
	out := make([]*frame.Frame, n)
	for i := range out {
		out[i] = c.expect(frame.MESSAGE)
	}
	return out
}

func headers(f *frame.Frame) []string {
	if f == nil || f.Header == nil {
		return nil
	}
	var out []string
	for i := 0; i < f.Header.Len(); i++ {
		k, v := f.Header.GetAt(i)
		out = append(out, k+":"+v)
	}
	return out
}

func bodies(fs []*frame.Frame) []string {
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = string(f.Body)
	}
	return out
}
