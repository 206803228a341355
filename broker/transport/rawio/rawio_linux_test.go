package rawio

import (
	"bytes"
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
