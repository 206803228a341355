package frame

import (
	"bytes"
	"io"
	"strings"
	"testing"

	"github.com/go-stomp/stomp/v3/frame"
)

// sendFrame is a SEND with 5 headers and a 64-byte body.
var sendFrame = "SEND\ndestination:/queue/orders\ncontent-type:application/json\ncontent-length:64\n" +
	"receipt:r-123\npersistent:true\n\n" + strings.Repeat("x", 64) + "\x00"

// benchRead reads the frame in over and over with a V12 Reader that setup
// may configure.
func benchRead(b *testing.B, in []byte, setup func(*Reader)) {
	r := NewReader(&loop{data: in}, 0)
	r.Version = V12
	r.MaxFrameSize = 1 << 20
	if setup != nil {
		setup(r)
	}
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for b.Loop() {
		if f, err := r.Read(); err != nil || f == nil {
			b.Fatal(f, err)
		}
	}
}

func BenchmarkReadSend(b *testing.B) { benchRead(b, []byte(sendFrame), nil) }

// BenchmarkReadSendReused is BenchmarkReadSend as a server connection
// reads: frame and small bodies reused.
func BenchmarkReadSendReused(b *testing.B) {
	benchRead(b, []byte(sendFrame), func(r *Reader) { r.ReuseFrame, r.ReuseBody, r.ReuseBodyMax = true, true, 256 })
}

// BenchmarkReadMessageReused reads a MESSAGE as a broker sends it (nine
// headers) the way the generator's STOMP client does: frame reused.
func BenchmarkReadMessageReused(b *testing.B) {
	benchRead(b, Append(nil, messageFrame(), V12), func(r *Reader) { r.ReuseFrame, r.ReuseBody = true, true })
}

func BenchmarkReadSendNoContentLength(b *testing.B) {
	benchRead(b, []byte(strings.Replace(sendFrame, "content-length:64\n", "x-id:12345678\n", 1)), nil)
}

// BenchmarkGoStompReadSend is go-stomp's frame.Reader on the same input,
// for comparison.
func BenchmarkGoStompReadSend(b *testing.B) {
	r := frame.NewReader(&loop{data: []byte(sendFrame)})
	b.SetBytes(int64(len(sendFrame)))
	b.ReportAllocs()
	for b.Loop() {
		if f, err := r.Read(); err != nil || f == nil {
			b.Fatal(f, err)
		}
	}
}

func messageFrame() *frame.Frame {
	return fr("MESSAGE", strings.Repeat("x", 64), "subscription", "sub-0", "message-id", "ID:hashi-1-42",
		"destination", "/queue/orders", "content-type", "application/json", "content-length", "64", "ack", "client")
}

func BenchmarkAppendMessage(b *testing.B) {
	f := messageFrame()
	buf := make([]byte, 0, 4096)
	b.ReportAllocs()
	for b.Loop() {
		buf = Append(buf[:0], f, V12)
	}
	b.SetBytes(int64(len(buf)))
}

func BenchmarkAppendMessageEscaped(b *testing.B) {
	f := fr("MESSAGE", strings.Repeat("x", 64), "subscription", "sub:0", "message-id", "ID:hashi:1:42",
		"destination", "/queue/a\\b", "x-note", "line 1\nline 2")
	buf := make([]byte, 0, 4096)
	b.ReportAllocs()
	for b.Loop() {
		buf = Append(buf[:0], f, V12)
	}
	b.SetBytes(int64(len(buf)))
}

// BenchmarkGoStompWriteMessage is go-stomp's frame.Writer, which flushes
// every frame, writing to io.Discard.
func BenchmarkGoStompWriteMessage(b *testing.B) {
	f := messageFrame()
	w := frame.NewWriter(io.Discard)
	b.ReportAllocs()
	for b.Loop() {
		if err := w.Write(f); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAppendRead is one SEND encoded and decoded.
func BenchmarkAppendRead(b *testing.B) {
	f := messageFrame()
	var buf bytes.Buffer
	r := NewReader(&buf, 0)
	r.Version = V12
	enc := make([]byte, 0, 4096)
	b.ReportAllocs()
	for b.Loop() {
		enc = Append(enc[:0], f, V12)
		buf.Write(enc)
		if _, err := r.Read(); err != nil {
			b.Fatal(err)
		}
	}
}
