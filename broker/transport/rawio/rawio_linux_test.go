package rawio

import (
	"bytes"
	"errors"
	"io"
	"net"
	"testing"
)

func TestWriteBuffers(t *testing.T) {
	w, p := pair(t)
	bw, ok := w.(interface {
		WriteBuffers(*net.Buffers) (int64, error)
	})
	if !ok {
		t.Fatal("a wrapped conn has no WriteBuffers")
	}
	v := net.Buffers{[]byte("head:"), bytes.Repeat([]byte("p"), 100000), []byte(":tail")}
	go func() {
		if n, err := bw.WriteBuffers(&v); n != 100010 || err != nil {
			t.Errorf("WriteBuffers: %d, %v", n, err)
		}
		w.Close()
	}()
	got, err := io.ReadAll(p)
	if err != nil || len(got) != 100010 || string(got[:5]) != "head:" || string(got[len(got)-5:]) != ":tail" {
		t.Fatalf("peer read %d bytes, %v", len(got), err)
	}
}

// TestTryWriteNeverWaits fills the socket of a peer that does not read:
// TryWrite returns short instead of waiting, and every byte it reported
// written arrives, in order, once the peer reads.
func TestTryWriteNeverWaits(t *testing.T) {
	w, peer := pair(t)
	tw, ok := w.(TryWriter)
	if !ok {
		t.Fatal("a wrapped TCP connection is not a TryWriter")
	}
	chunk := make([]byte, 64<<10)
	var sent []byte
	for i := 0; ; i++ {
		if i == 10000 {
			t.Fatal("TryWrite never found the send buffer full")
		}
		for j := range chunk {
			chunk[j] = byte(len(sent) + j)
		}
		n, err := tw.TryWrite(chunk)
		if err != nil {
			t.Fatal(err)
		}
		sent = append(sent, chunk[:n]...)
		if n < len(chunk) {
			break
		}
	}
	// Full now: another try takes nothing, still without waiting.
	if n, err := tw.TryWrite(chunk); n != 0 || err != nil {
		t.Fatalf("TryWrite on a full socket = %d, %v; want 0, nil", n, err)
	}
	got := make([]byte, len(sent))
	if _, err := io.ReadFull(peer, got); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, sent) {
		t.Fatal("the peer read other bytes than TryWrite reported written")
	}
	w.Close()
	if _, err := tw.TryWrite(chunk); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("TryWrite after Close: %v, want net.ErrClosed", err)
	}
}
