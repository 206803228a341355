package frame

import (
	"bytes"
	"io"
	"testing"

	"github.com/go-stomp/stomp/v3/frame"
)

// interopFrames can be written by go-stomp and by Append for STOMP 1.2:
// no CONNECT or CONNECTED (go-stomp escapes them, which STOMP forbids), and
// a content-length wherever the body holds a NUL (go-stomp's Writer does
// not add one).
func interopFrames() []*frame.Frame {
	return []*frame.Frame{
		fr("SEND", "hello", "destination", "/queue/a", "receipt", "r-1"),
		fr("MESSAGE", "\x00bin\x00", "destination", "/topic/t", "content-length", "5", "message-id", "m:1"),
		fr("MESSAGE", "", "k:colon", "v:colon", "nl", "a\nb", "bs", `c:\path\`, "cr", "a\rb\r"),
		fr("MESSAGE", "", "foo", "World", "foo", "Hello"),
		fr("ERROR", "details\n", "message", "bad frame", "content-type", "text/plain"),
		fr("RECEIPT", "", "receipt-id", "77"),
	}
}

// TestInteropGoStompWriterToReader: frames encoded by go-stomp's own
// frame.Writer decode with Reader.
func TestInteropGoStompWriterToReader(t *testing.T) {
	var buf bytes.Buffer
	w := frame.NewWriter(&buf)
	frames := interopFrames()
	for _, f := range frames {
		if err := w.Write(f); err != nil {
			t.Fatal(err)
		}
		if err := w.Write(nil); err != nil { // go-stomp's heart-beat
			t.Fatal(err)
		}
	}
	r := NewReader(&buf, 0)
	r.Version = V12
	got, err := readAll(r, 100)
	if err != io.EOF {
		t.Fatalf("error %v", err)
	}
	if len(got) != 2*len(frames) {
		t.Fatalf("%d frames and heart-beats, want %d", len(got), 2*len(frames))
	}
	for i, want := range frames {
		if !equalFrames(got[2*i], want) || got[2*i+1] != nil {
			t.Errorf("frame %d\n got %s\nwant %s", i, describe(got[2*i]), describe(want))
		}
	}
}

// TestInteropAppendToGoStompReader: frames from Append decode with
// go-stomp's frame.Reader.
func TestInteropAppendToGoStompReader(t *testing.T) {
	frames := append(interopFrames(),
		fr("MESSAGE", "a\x00b", "destination", "/q")) // Append adds content-length
	var buf []byte
	for _, f := range frames {
		buf = Append(buf, f, V12)
		buf = AppendHeartBeat(buf)
	}
	r := frame.NewReader(bytes.NewReader(buf))
	for i, want := range frames {
		got, err := r.Read()
		if err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
		if !bytes.Equal(got.Body, want.Body) || got.Command != want.Command {
			t.Errorf("frame %d\n got %s\nwant %s", i, describe(got), describe(want))
		}
		for j := 0; j < want.Header.Len(); j++ {
			k, v := want.Header.GetAt(j)
			if gk, gv := got.Header.GetAt(j); gk != k || gv != v {
				t.Errorf("frame %d header %d: got %q:%q, want %q:%q", i, j, gk, gv, k, v)
			}
		}
		if hb, err := r.Read(); hb != nil || err != nil {
			t.Fatalf("after frame %d: %v, %v", i, hb, err)
		}
		if i == len(frames)-1 && got.Header.Get(frame.ContentLength) != "3" {
			t.Errorf("no content-length for a body with NUL: %s", describe(got))
		}
	}
}
