package stomp_test

import (
	"bytes"
	"errors"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-stomp/stomp/v3/frame"

	"github.com/hashi-broker/hashi/broker/server/servertest"
)

func TestConnectVersionNegotiation(t *testing.T) {
	b := startBroker(t, "", "")
	for _, tc := range []struct{ accept, want string }{
		{"", "1.0"}, // no accept-version: a STOMP 1.0 client
		{"1.0", "1.0"},
		{"1.0,1.1", "1.1"},
		{"1.1,1.0", "1.1"},
		{"1.0,1.1,1.2", "1.2"},
		{"1.2,2.0", "1.2"}, // unknown versions are ignored
	} {
		t.Run("accept="+tc.accept, func(t *testing.T) {
			c := b.dial(t)
			hdr := []string{"host", "localhost"}
			if tc.accept != "" {
				hdr = append(hdr, frame.AcceptVersion, tc.accept)
			}
			c.send(frame.CONNECT, hdr...)
			f := c.expect(frame.CONNECTED)
			if got := f.Header.Get(frame.Version); got != tc.want {
				t.Fatalf("version = %q, want %q (%v)", got, tc.want, headers(f))
			}
			if !strings.HasPrefix(f.Header.Get(frame.Server), "Hashi/") || f.Header.Get(frame.Session) == "" {
				t.Fatalf("CONNECTED headers: %v", headers(f))
			}
		})
	}
	t.Run("STOMP frame", func(t *testing.T) {
		c := b.dial(t)
		c.send(frame.STOMP, frame.AcceptVersion, "1.2", "host", "localhost")
		if f := c.expect(frame.CONNECTED); f.Header.Get(frame.Version) != "1.2" {
			t.Fatalf("CONNECTED %v", headers(f))
		}
	})
	t.Run("unsupported", func(t *testing.T) {
		c := b.dial(t)
		c.send(frame.CONNECT, frame.AcceptVersion, "2.0,3.1", frame.Receipt, "x")
		f := c.expectError("Supported protocol versions are 1.0,1.1,1.2")
		if got := f.Header.Get(frame.Version); got != "1.0,1.1,1.2" {
			t.Fatalf("ERROR version header = %q (%v)", got, headers(f))
		}
		c.expectClosed()
	})
	t.Run("frame before CONNECT", func(t *testing.T) {
		c := b.dial(t)
		c.send(frame.SEND, frame.Destination, "/queue/x")
		c.expectError("Expected CONNECT")
		c.expectClosed()
	})
	t.Run("second CONNECT", func(t *testing.T) {
		c := b.connect(t)
		c.send(frame.CONNECT, frame.AcceptVersion, "1.2")
		c.expectError("Already connected")
		c.expectClosed()
	})
}

const users = `<plugins><simpleAuthenticationPlugin anonymousAccessAllowed="false"><users>
  <authenticationUser username="app" password="secret" groups="apps"/>
</users></simpleAuthenticationPlugin></plugins>`

func TestConnectLogin(t *testing.T) {
	b := startBroker(t, users, "")
	for _, tc := range []struct{ name, login, pass, msg string }{
		{"bad password", "app", "wrong", "User name [app] or password is invalid."},
		{"unknown user", "x", "y", "User name [x] or password is invalid."},
		{"no login", "", "", "User name [null] or password is invalid."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := b.dial(t)
			hdr := []string{frame.AcceptVersion, "1.2"}
			if tc.login != "" {
				hdr = append(hdr, frame.Login, tc.login, frame.Passcode, tc.pass)
			}
			c.send(frame.CONNECT, hdr...)
			f := c.expectError(tc.msg)
			if f.Header.Get(frame.Message) != tc.msg {
				t.Fatalf("message = %q, want exactly %q", f.Header.Get(frame.Message), tc.msg)
			}
			c.expectClosed()
		})
	}
	t.Run("good", func(t *testing.T) {
		c := b.connect(t, frame.Login, "app", frame.Passcode, "secret")
		c.receipt(frame.SUBSCRIBE, nil, frame.Destination, "/topic/a", frame.Id, "1")
	})
}

// Every client frame that carries a receipt header is answered with a
// RECEIPT carrying its value, DISCONNECT included (then the socket closes).
func TestReceipts(t *testing.T) {
	b := startBroker(t, "", "")
	for _, v := range []string{"1.0", "1.1", "1.2"} {
		t.Run(v, func(t *testing.T) {
			c := b.connect(t, frame.AcceptVersion, v)
			q := "/queue/receipts-" + v
			c.receipt(frame.SUBSCRIBE, nil, frame.Destination, q, frame.Id, "s", frame.Ack, "client-individual")
			c.receipt(frame.SEND, []byte("one"), frame.Destination, q)
			m := c.expect(frame.MESSAGE)
			ackHdr := []string{frame.MessageId, m.Header.Get(frame.MessageId), frame.Subscription, "s"}
			if v == "1.2" {
				ackHdr = []string{frame.Id, m.Header.Get(frame.Ack)}
			}
			c.receipt(frame.ACK, nil, ackHdr...)
			c.receipt(frame.BEGIN, nil, frame.Transaction, "t1")
			c.receipt(frame.SEND, []byte("two"), frame.Destination, q, frame.Transaction, "t1")
			c.receipt(frame.COMMIT, nil, frame.Transaction, "t1")
			m = c.expect(frame.MESSAGE)
			if v != "1.0" {
				ackHdr = []string{frame.MessageId, m.Header.Get(frame.MessageId), frame.Subscription, "s"}
				if v == "1.2" {
					ackHdr = []string{frame.Id, m.Header.Get(frame.Ack)}
				}
				c.receipt(frame.NACK, nil, ackHdr...)
				m = c.expect(frame.MESSAGE) // redelivered
			}
			c.receipt(frame.BEGIN, nil, frame.Transaction, "t2")
			c.receipt(frame.ABORT, nil, frame.Transaction, "t2")
			c.receipt(frame.UNSUBSCRIBE, nil, frame.Id, "s", frame.Destination, q)
			c.send(frame.DISCONNECT, frame.Receipt, "bye")
			if f := c.expect(frame.RECEIPT); f.Header.Get(frame.ReceiptId) != "bye" {
				t.Fatalf("DISCONNECT receipt %v", headers(f))
			}
			c.expectClosed()
		})
	}
}

// A refused frame yields an ERROR with the receipt-id of the frame and the
// connection stays usable; the refused frame gets no RECEIPT.
func TestErrorCarriesReceiptID(t *testing.T) {
	b := startBroker(t, "", "")
	c := b.connect(t)
	c.send(frame.SEND, frame.Destination, "/bogus/x", frame.Receipt, "r-bad")
	f := c.expectError("Illegal destination name: [/bogus/x]")
	if f.Header.Get(frame.ReceiptId) != "r-bad" || f.Header.Get(frame.ContentType) != "text/plain" {
		t.Fatalf("ERROR headers %v", headers(f))
	}
	c.send(frame.COMMIT, frame.Transaction, "nope", frame.Receipt, "r-tx")
	if f := c.expectError("Invalid transaction id: nope"); f.Header.Get(frame.ReceiptId) != "r-tx" {
		t.Fatalf("ERROR headers %v", headers(f))
	}
	c.receipt(frame.SEND, []byte("ok"), frame.Destination, "/queue/still-open")
}

// Frames the server cannot accept end the connection after an ERROR; other
// connections are unaffected.
func TestBadFramesCloseConnection(t *testing.T) {
	b := startBroker(t, "", "?wireFormat.maxFrameSize=1024")
	other := b.connect(t)
	other.receipt(frame.SUBSCRIBE, nil, frame.Destination, "/queue/survivor", frame.Id, "1")
	for _, tc := range []struct{ name, raw, msg string }{
		{"unknown command", "FOO\nbar:baz\n\n\x00", "invalid command"},
		{"lowercase command", "send\ndestination:/queue/a\n\n\x00", "invalid command"},
		{"oversized body", "SEND\ndestination:/queue/a\n\n" + strings.Repeat("x", 2000) + "\x00", "frame too large"},
		{"oversized content-length", "SEND\ndestination:/queue/a\ncontent-length:5000\n\n", "frame too large"},
		{"oversized header", "SEND\ndestination:/queue/a\nbig:" + strings.Repeat("y", 1100) + "\n\nx\x00", "frame too large"},
		{"header without colon", "SEND\ndestination:/queue/a\nnocolon\n\nx\x00", "malformed"},
		{"undefined escape", "SEND\ndestination:/queue/a\nk:a\\tb\n\nx\x00", "undefined escape"},
		{"content-length not followed by NUL", "SEND\ndestination:/queue/a\ncontent-length:1\n\nxy\x00", "malformed"},
		{"NACK in STOMP 1.0", "", "NACK is not a STOMP 1.0 frame"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var c *client
			if tc.raw == "" {
				c = b.connect(t, frame.AcceptVersion, "1.0")
				c.send(frame.NACK, frame.MessageId, "x")
			} else {
				c = b.connect(t)
				c.raw(tc.raw)
			}
			c.expectError(tc.msg)
			c.expectClosed()
			other.receipt(frame.SEND, []byte(tc.name), frame.Destination, "/queue/survivor")
			if m := other.expect(frame.MESSAGE); string(m.Body) != tc.name {
				t.Fatalf("survivor got %q", m.Body)
			}
		})
	}
	servertest.WaitFor(t, ioTimeout, "close reason logged", func() bool { return b.LogHas("bad frame") })
}

// Header names and values survive escaping end to end: each consumer reads
// them as its version encodes them, 1.0 replacing what it cannot carry.
func TestHeaderEscapingAcrossVersions(t *testing.T) {
	b := startBroker(t, "", "")
	consumers := map[string]*client{}
	for _, v := range []string{"1.0", "1.1", "1.2"} {
		c := b.connect(t, frame.AcceptVersion, v)
		c.receipt(frame.SUBSCRIBE, nil, frame.Destination, "/topic/esc", frame.Id, v)
		consumers[v] = c
	}
	p12 := b.connect(t)
	// Raw bytes of a 1.2 frame: name "col:on", value "a:b\c<LF>d<CR>".
	p12.raw("SEND\ndestination:/topic/esc\ncol\\con:a\\cb\\\\c\\nd\\r\n\none\x00")
	p10 := b.connect(t, frame.AcceptVersion, "1.0")
	// 1.0 has no escaping: the backslashes are literal.
	p10.raw("SEND\ndestination:/topic/esc\nlit:a\\nb\n\ntwo\x00")
	// The two producers race: index the expectations by body.
	want := map[string]map[string][2]string{
		"1.2": {"one": {"col:on", "a:b\\c\nd\r"}, "two": {"lit", `a\nb`}},
		"1.1": {"one": {"col:on", "a:b\\c\nd_"}, "two": {"lit", `a\nb`}}, // 1.1 cannot end a value in CR
		"1.0": {"one": {"col_on", "a:b\\c_d_"}, "two": {"lit", `a\nb`}},
	}
	for v, c := range consumers {
		ms := c.messages(2)
		for _, m := range ms {
			w := want[v][string(m.Body)]
			got, ok := m.Header.Contains(w[0])
			if !ok || got != w[1] {
				t.Errorf("%s consumer, message %q: header %q = %q (present %v), want %q; all %q",
					v, m.Body, w[0], got, ok, w[1], headers(m))
			}
		}
	}
	// The codec's Reader decoded the frames above; check the bytes too.
	c := b.dial(t)
	c.send(frame.CONNECT, frame.AcceptVersion, "1.1")
	c.expect(frame.CONNECTED)
	c.r.Version = "1.1"
	c.raw("SUBSCRIBE\ndestination:/topic/esc\nid:raw\nreceipt:r\n\n\x00")
	c.expect(frame.RECEIPT)
	p12.raw("SEND\ndestination:/topic/esc\nk:x\\ny\\\\z\\cw\n\n3\x00")
	c.nc.SetReadDeadline(time.Now().Add(ioTimeout))
	buf := make([]byte, 4096)
	var got []byte
	for !bytes.Contains(got, []byte{0}) {
		n, err := c.nc.Read(buf)
		if err != nil {
			t.Fatalf("read: %v (got %q)", err, got)
		}
		got = append(got, buf[:n]...)
	}
	if !bytes.Contains(got, []byte("\nk:x\\ny\\\\z\\cw\n")) {
		t.Fatalf("1.1 MESSAGE bytes %q lack the escaped header", got)
	}
}

// Bodies are binary: NULs travel with content-length, in both directions
// and for every version.
func TestBinaryBodyContentLength(t *testing.T) {
	b := startBroker(t, "", "")
	body := []byte("\x00\x01\x02\x00ab\nc\xff\xfe\x00")
	for _, v := range []string{"1.0", "1.1", "1.2"} {
		t.Run(v, func(t *testing.T) {
			q := "/queue/bin-" + v
			c := b.connect(t, frame.AcceptVersion, v)
			c.receipt(frame.SUBSCRIBE, nil, frame.Destination, q, frame.Id, "1")
			c.raw("SEND\ndestination:" + q + "\ncontent-length:" + strconv.Itoa(len(body)) + "\n\n" + string(body) + "\x00")
			c.raw("SEND\ndestination:" + q + "\n\nno length\x00\n\n")
			ms := c.messages(2)
			if !bytes.Equal(ms[0].Body, body) || ms[0].Header.Get(frame.ContentLength) != strconv.Itoa(len(body)) {
				t.Fatalf("binary body %q, headers %v", ms[0].Body, headers(ms[0]))
			}
			if string(ms[1].Body) != "no length" || ms[1].Header.Get(frame.ContentLength) != "9" {
				t.Fatalf("text body %q, headers %v", ms[1].Body, headers(ms[1]))
			}
			c.receipt(frame.SEND, []byte{}, frame.Destination, q, frame.ContentLength, "0")
			if m := c.expect(frame.MESSAGE); len(m.Body) != 0 {
				t.Fatalf("empty body came back as %q", m.Body)
			}
		})
	}
}

// A client that promises heart-beats and goes silent is closed after the
// interval times the grace (1.5); one that keeps sending them is not.
func TestHeartBeatTimeout(t *testing.T) {
	b := startBroker(t, "", "")
	silent := b.connect(t, frame.HeartBeat, "500,0")
	alive := b.connect(t, frame.HeartBeat, "500,0")
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(200 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				alive.nc.SetWriteDeadline(time.Now().Add(ioTimeout))
				alive.nc.Write([]byte("\n"))
			}
		}
	}()
	start := time.Now()
	silent.expectClosed()
	if el := time.Since(start); el < 500*time.Millisecond || el > 3*time.Second {
		t.Errorf("silent client closed after %v, want about 750 ms", el)
	}
	servertest.WaitFor(t, ioTimeout, "heart-beat timeout logged", func() bool { return b.LogHas("no heart-beat from client") })
	// The live one sends nothing but heart-beats: for two more grace
	// periods the server must neither close it nor send anything.
	// (Read from the socket: the codec's Reader keeps a timeout sticky.)
	alive.nc.SetReadDeadline(time.Now().Add(1600 * time.Millisecond))
	if n, err := alive.nc.Read(make([]byte, 64)); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("client sending heart-beats: got %d bytes, %v; want nothing", n, err)
	}
	close(stop)
	<-done
	alive.quiet("live client")
}

// The server sends heart-beats at the interval the client asks for, and
// answers with what it will send and expect.
func TestServerHeartBeats(t *testing.T) {
	b := startBroker(t, "", "")
	c := b.connect(t, frame.HeartBeat, "0,100")
	c.nc.SetReadDeadline(time.Now().Add(ioTimeout))
	start := time.Now()
	for c.hbs < 5 {
		f, err := c.r.Read()
		if err != nil {
			t.Fatalf("after %d heart-beats: %v", c.hbs, err)
		}
		if f != nil {
			t.Fatalf("unexpected %s", f.Command)
		}
		c.hbs++
	}
	if el := time.Since(start); el < 400*time.Millisecond || el > 3*time.Second {
		t.Errorf("5 heart-beats at 100 ms took %v", el)
	}

	d := b.dial(t)
	d.send(frame.CONNECT, frame.AcceptVersion, "1.1", frame.HeartBeat, "300,700")
	if f := d.expect(frame.CONNECTED); f.Header.Get(frame.HeartBeat) != "700,300" {
		t.Fatalf("CONNECTED heart-beat = %q, want 700,300", f.Header.Get(frame.HeartBeat))
	}
	e := b.dial(t)
	e.send(frame.CONNECT, frame.AcceptVersion, "1.2", frame.HeartBeat, "x,y")
	e.expectError("Invalid heart-beat header")
	e.expectClosed()
}

// transport.defaultHeartBeat applies to clients that send no heart-beat
// header, STOMP 1.0 clients above all (ActiveMQ's AMQ-3603): one that goes
// silent is closed. A client's own header wins.
func TestDefaultHeartBeat(t *testing.T) {
	b := startBroker(t, "", "?transport.defaultHeartBeat=300,0")
	v10 := b.dial(t)
	v10.send(frame.CONNECT, "host", "localhost")
	v10.expect(frame.CONNECTED)
	v12 := b.connect(t)
	own := b.connect(t, frame.HeartBeat, "0,0")
	start := time.Now()
	v10.expectClosed()
	v12.expectClosed()
	if el := time.Since(start); el > 3*time.Second {
		t.Errorf("silent clients closed after %v, want about 450 ms", el)
	}
	own.quiet("client with heart-beat:0,0")
}
