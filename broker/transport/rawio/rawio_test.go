package rawio

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"runtime"
	"sync"
	"testing"
	"time"
)

// pair returns the two ends of a loopback TCP connection, the client end
// wrapped.
func pair(t *testing.T) (wrapped, peer net.Conn) {
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
	w := Wrap(c)
	t.Cleanup(func() { w.Close(); p.Close() })
	return w, p
}

func TestWrapTakesTCPOnly(t *testing.T) {
	w, _ := pair(t)
	_, isTCP := w.(*net.TCPConn)
	if runtime.GOOS == "linux" && isTCP {
		t.Fatal("Wrap left a *net.TCPConn as it was on Linux")
	}
	if u, ok := w.(interface{ NetConn() net.Conn }); runtime.GOOS == "linux" && (!ok || u.NetConn() == nil) {
		t.Fatal("wrapped conn does not expose the connection underneath")
	}
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	if Wrap(a) != a {
		t.Fatal("Wrap changed a connection that is not TCP")
	}
}

// TestLargeWritesWaitForTheReader writes far more than the socket buffers
// hold, from several goroutines at once, while the peer reads slowly: the
// writes must wait (EAGAIN, then the poller) and each Write's bytes must
// arrive whole and in order.
func TestLargeWritesWaitForTheReader(t *testing.T) {
	w, p := pair(t)
	const writers, chunk, rounds = 4, 256 << 10, 8
	var wg sync.WaitGroup
	for i := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			b := bytes.Repeat([]byte{byte('a' + i)}, chunk)
			for range rounds {
				n, err := w.Write(b)
				if err != nil || n != len(b) {
					t.Errorf("writer %d: wrote %d of %d: %v", i, n, len(b), err)
					return
				}
			}
		}()
	}
	got := make([]byte, 0, writers*chunk*rounds)
	buf := make([]byte, 7000) // small reads, so the writers fill the buffers
	p.SetReadDeadline(time.Now().Add(30 * time.Second))
	for len(got) < cap(got) {
		n, err := p.Read(buf)
		if err != nil {
			t.Fatalf("peer read after %d bytes: %v", len(got), err)
		}
		got = append(got, buf[:n]...)
	}
	wg.Wait()
	counts := map[byte]int{}
	for off := 0; off < len(got); off += chunk {
		c := got[off]
		if bytes.Count(got[off:off+chunk], []byte{c}) != chunk {
			t.Fatalf("a Write's bytes were interleaved with another's at offset %d", off)
		}
		counts[c]++
	}
	for i := range writers {
		if counts[byte('a'+i)] != rounds {
			t.Fatalf("writer %d: %d chunks arrived, want %d", i, counts[byte('a'+i)], rounds)
		}
	}
}

func TestReadGetsWhatThePeerSent(t *testing.T) {
	w, p := pair(t)
	go p.Write([]byte("hello, bridge"))
	buf := make([]byte, 64)
	var got []byte
	for len(got) < len("hello, bridge") {
		n, err := w.Read(buf)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, buf[:n]...)
	}
	if string(got) != "hello, bridge" {
		t.Fatalf("read %q", got)
	}
	if n, err := w.Read(nil); n != 0 || err != nil {
		t.Fatalf("empty read: %d, %v", n, err)
	}
}

func TestReadDeadline(t *testing.T) {
	w, p := pair(t)
	w.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
	_, err := w.Read(make([]byte, 8))
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() || !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("read past the deadline: %v, want a timeout", err)
	}
	var oe *net.OpError
	if !errors.As(err, &oe) || oe.Op != "read" {
		t.Fatalf("error %v is not a read *net.OpError", err)
	}
	// The connection stays usable after a timeout.
	w.SetReadDeadline(time.Time{})
	p.Write([]byte("x"))
	if n, err := w.Read(make([]byte, 8)); n != 1 || err != nil {
		t.Fatalf("read after the timeout: %d, %v", n, err)
	}
}

func TestWriteDeadline(t *testing.T) {
	w, _ := pair(t) // the peer never reads
	w.SetWriteDeadline(time.Now().Add(50 * time.Millisecond))
	b := make([]byte, 1<<20)
	var err error
	for i := 0; i < 64 && err == nil; i++ {
		_, err = w.Write(b)
	}
	if !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("write to a full socket past the deadline: %v", err)
	}
}

func TestEOFAndClose(t *testing.T) {
	w, p := pair(t)
	p.Write([]byte("bye"))
	p.Close()
	got, err := io.ReadAll(w)
	if err != nil || string(got) != "bye" {
		t.Fatalf("ReadAll: %q, %v", got, err)
	}

	w2, _ := pair(t)
	done := make(chan error, 1)
	go func() {
		_, err := w2.Read(make([]byte, 8))
		done <- err
	}()
	time.Sleep(10 * time.Millisecond) // let Read park in the poller (either order passes)
	w2.Close()
	select {
	case err := <-done:
		if !errors.Is(err, net.ErrClosed) {
			t.Fatalf("Read on a closed conn: %v, want net.ErrClosed", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not wake a blocked Read")
	}
	if _, err := w2.Write([]byte("x")); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("Write on a closed conn: %v, want net.ErrClosed", err)
	}
}
