package bench

import (
	"bytes"
	"io"
	"net"
	"testing"
	"time"

	"github.com/hashi-broker/hashi/broker/transport/rawio"
)

// tcpPair returns the two ends of a loopback TCP connection, the first
// wrapped by rawio.
func tcpPair(t *testing.T) (net.Conn, net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	c, err := net.Dial("tcp", ln.Addr().String()) // completes from the backlog
	if err != nil {
		t.Fatal(err)
	}
	p, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	w := rawio.Wrap(c)
	t.Cleanup(func() { w.Close(); p.Close() })
	return w, p
}

// The sink's outbox writes on the caller's goroutine when quiet; when the
// socket takes only part, the rest goes out before anything written after
// it. Quiet writes to a peer that does not read go out at once until one
// finds the socket full; more follow; then the peer reads everything, in
// order.
func TestInlineOutboxKeepsOrderOnAFullSocket(t *testing.T) {
	w, peer := tcpPair(t)
	o := newInlineOutbox(w, 64<<20)
	defer o.close(false)
	if o.tw == nil {
		t.Fatal("a rawio connection is not a TryWriter on Linux")
	}
	chunk := func(i int) []byte {
		c := bytes.Repeat([]byte{byte(i)}, 256<<10)
		c[0], c[1] = byte(i>>8), byte(i)
		return c
	}
	var sent []byte
	i := 0
	// Every write here finds the outbox quiet, so it is made by the
	// caller, until one leaves bytes for the writer goroutine.
	for ; o.pending() == 0; i++ {
		if i == 1000 {
			t.Fatal("the socket never filled")
		}
		time.Sleep(2 * quietGap)
		sent = append(sent, chunk(i)...)
		if err := o.write(false, chunk(i)); err != nil {
			t.Fatal(err)
		}
	}
	for end := i + 4; i < end; i++ {
		sent = append(sent, chunk(i)...)
		if err := o.write(false, chunk(i)); err != nil {
			t.Fatal(err)
		}
	}
	got := make([]byte, len(sent))
	peer.SetReadDeadline(time.Now().Add(30 * time.Second))
	if _, err := io.ReadFull(peer, got); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, sent) {
		for k := range got {
			if got[k] != sent[k] {
				t.Fatalf("%d chunks of 256 KiB: first difference at byte %d (chunk %d)", i, k, k/(256<<10))
			}
		}
	}
}
