package bench

import (
	"bytes"
	"io"
	"math/rand"
	"net"
	"sync"
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
	acc := make(chan net.Conn, 1)
	go func() {
		c, _ := ln.Accept()
		acc <- c
	}()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	p := <-acc
	if p == nil {
		t.Fatal("accept failed")
	}
	w := rawio.Wrap(c)
	t.Cleanup(func() { w.Close(); p.Close() })
	return w, p
}

// The sink's outbox writes on the caller's goroutine when idle; when the
// socket takes only part, the rest goes out before anything written after
// it. Four writers send numbered chunks of random sizes while the peer
// starts reading late (so the socket fills): every writer's chunks arrive
// whole and in order, and nothing else arrives.
func TestInlineOutboxKeepsOrderOnAFullSocket(t *testing.T) {
	w, peer := tcpPair(t)
	o := newInlineOutbox(w, 1<<20)
	if o.tw == nil {
		t.Skip("no raw writes on this platform")
	}
	const writers, chunks = 4, 3000
	var wg sync.WaitGroup
	for id := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewSource(int64(id)))
			for seq := range chunks {
				n := 4 + rng.Intn(3000)
				c := make([]byte, n)
				c[0], c[1], c[2], c[3] = byte(id), byte(seq>>8), byte(seq), byte(n>>8)
				for i := 4; i < n; i++ {
					c[i] = byte(id + seq + i)
				}
				if err := o.write(true, []byte{byte(n), byte(n >> 8)}, c); err != nil {
					t.Error(err)
					return
				}
				if seq%100 == 0 {
					time.Sleep(time.Millisecond) // idle moments: writes go out at once
				}
			}
		}()
	}
	// The peer reads only once the socket is full: bytes wait in the
	// outbox.
	for deadline := time.Now().Add(10 * time.Second); o.pending() == 0; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the socket never filled")
		}
	}
	peer.SetReadDeadline(time.Now().Add(30 * time.Second))
	next := make([]int, writers)
	var hdr [2]byte
	for got := 0; got < writers*chunks; got++ {
		if _, err := io.ReadFull(peer, hdr[:]); err != nil {
			t.Fatalf("after %d chunks: %v", got, err)
		}
		c := make([]byte, int(hdr[0])|int(hdr[1])<<8)
		if _, err := io.ReadFull(peer, c); err != nil {
			t.Fatalf("after %d chunks: %v", got, err)
		}
		id, seq := int(c[0]), int(c[1])<<8|int(c[2])
		if id >= writers || seq != next[id] {
			t.Fatalf("chunk %d: writer %d seq %d, want seq %v", got, id, seq, next)
		}
		want := make([]byte, len(c))
		copy(want, c[:4])
		for i := 4; i < len(c); i++ {
			want[i] = byte(id + seq + i)
		}
		if !bytes.Equal(c, want) {
			t.Fatalf("chunk %d from writer %d corrupt", seq, id)
		}
		next[id]++
	}
	wg.Wait()
	o.close(true)
}
