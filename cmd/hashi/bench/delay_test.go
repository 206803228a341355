package bench

import (
	"bytes"
	"io"
	"net"
	"testing"
	"time"
)

// The delaying relay holds each direction for its delay and loses nothing.
func TestRelayDelay(t *testing.T) {
	echo, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer echo.Close()
	go func() {
		c, err := echo.Accept()
		if err == nil {
			io.Copy(c, c)
			c.Close()
		}
	}()
	const d = 50 * time.Millisecond
	r, err := NewRelay("127.0.0.1:0", echo.Addr().String(), Faults{Delay: d})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	c, err := net.Dial("tcp", r.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	payload := bytes.Repeat([]byte("wan"), 100000)
	start := time.Now()
	go c.Write(payload)
	got := make([]byte, len(payload))
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.ReadFull(c, got); err != nil {
		t.Fatal(err)
	}
	if el := time.Since(start); el < 2*d {
		t.Fatalf("round trip took %v, want at least %v", el, 2*d)
	}
	if !bytes.Equal(got, payload) {
		t.Fatal("bytes changed")
	}
}
