package frame

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
)

// TestOversizedContentLengthNotAllocated: a content-length of 2 GB is
// refused before the body is allocated or read.
func TestOversizedContentLengthNotAllocated(t *testing.T) {
	head := "SEND\ndestination:/q\ncontent-length:2000000000\n\n"
	var err error
	src := &endless{t: t, prefix: []byte(head), fill: []byte("x"), limit: 4096}
	allocated := allocatedBy(func() {
		r := NewReader(src, 0)
		r.Version = V12
		r.MaxFrameSize = 1 << 20
		_, err = r.Read()
	})
	if !errors.Is(err, ErrFrameTooLarge) {
		t.Fatalf("error %v, want ErrFrameTooLarge", err)
	}
	if allocated > 256<<10 {
		t.Errorf("allocated %d bytes to refuse the frame", allocated)
	}
	if src.n > 4096 {
		t.Errorf("read %d bytes from the stream", src.n)
	}
}

// TestContentLengthWithoutLimitAllocatesAsDataArrives: with no
// MaxFrameSize, a 2 GB announcement followed by a few bytes costs memory in
// proportion to the bytes, not to the announcement.
func TestContentLengthWithoutLimitAllocatesAsDataArrives(t *testing.T) {
	in := "SEND\ncontent-length:2000000000\n\n" + strings.Repeat("x", 200<<10)
	var err error
	allocated := allocatedBy(func() {
		_, err = NewReader(strings.NewReader(in), 0).Read()
	})
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("error %v, want io.ErrUnexpectedEOF", err)
	}
	if allocated > 2<<20 {
		t.Errorf("allocated %d bytes for a %d-byte input", allocated, len(in))
	}
}

// TestLargeContentLengthBody: a body larger than the first chunk is read
// whole, across growth steps.
func TestLargeContentLengthBody(t *testing.T) {
	body := bytes.Repeat([]byte("0123456789\x00"), 50000)
	in := "SEND\ncontent-length:550000\n\n" + string(body) + "\x00\n"
	r := NewReader(strings.NewReader(in), 0)
	f, err := r.Read()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(f.Body, body) {
		t.Fatalf("body of %d bytes differs", len(f.Body))
	}
	if f, err := r.Read(); f != nil || err != nil {
		t.Fatalf("after the body: %s, %v; want a heart-beat", describe(f), err)
	}
}

// TestUnboundedBodyRefused: a body without content-length and without a
// NUL is refused once it passes MaxFrameSize, having read no more than
// the limit and one buffer.
func TestUnboundedBodyRefused(t *testing.T) {
	const max = 1 << 20
	src := &endless{t: t, prefix: []byte("SEND\ndestination:/q\n\n"), fill: []byte("no NUL here "), limit: max + 4096}
	var err error
	allocated := allocatedBy(func() {
		r := NewReader(src, 4096)
		r.MaxFrameSize = max
		_, err = r.Read()
	})
	if !errors.Is(err, ErrFrameTooLarge) {
		t.Fatalf("error %v, want ErrFrameTooLarge", err)
	}
	if allocated > 4*max {
		t.Errorf("allocated %d bytes for a limit of %d", allocated, max)
	}
}

// TestHugeHeaderLineRefused: a 1 MiB header line is refused after at most
// MaxHeaderLine bytes and one buffer have been read.
func TestHugeHeaderLineRefused(t *testing.T) {
	in := "SEND\nk:" + strings.Repeat("v", 1<<20) + "\n\n\x00"
	src := &endless{t: t, prefix: []byte(in), fill: []byte("\x00"), limit: DefaultMaxHeaderLine + 2*4096}
	var err error
	allocated := allocatedBy(func() {
		_, err = NewReader(src, 4096).Read()
	})
	if !errors.Is(err, ErrHeaderLineTooLong) {
		t.Fatalf("error %v, want ErrHeaderLineTooLong", err)
	}
	if allocated > 1<<20 {
		t.Errorf("allocated %d bytes", allocated)
	}
}

// TestHugeHeaderLineWithinFrameLimit: the frame limit stops a long header
// line first when it is the smaller one.
func TestHugeHeaderLineWithinFrameLimit(t *testing.T) {
	src := &endless{t: t, prefix: []byte("SEND\nk:"), fill: []byte("v"), limit: 1024 + 2*16}
	r := NewReader(src, 16)
	r.MaxFrameSize = 1024
	if _, err := r.Read(); !errors.Is(err, ErrFrameTooLarge) {
		t.Fatalf("error %v, want ErrFrameTooLarge", err)
	}
}

// TestEndlessHeadersRefused: the default MaxHeaders stops a stream of
// headers that never ends.
func TestEndlessHeadersRefused(t *testing.T) {
	src := &endless{t: t, prefix: []byte("SEND\n"), fill: []byte("a:b\n"), limit: 4*DefaultMaxHeaders + 2*4096}
	if _, err := NewReader(src, 0).Read(); !errors.Is(err, ErrTooManyHeaders) {
		t.Fatalf("error %v, want ErrTooManyHeaders", err)
	}
}

// TestScratchNotRetained: buffers grown by one large frame are not kept for
// the rest of the connection.
func TestScratchNotRetained(t *testing.T) {
	in := "SEND\nk:" + strings.Repeat("v", 60000) + "\n" + strings.Repeat("h:v\n", 900) + "\n\x00"
	r := NewReader(strings.NewReader(in), 16)
	if _, err := r.Read(); err != nil {
		t.Fatal(err)
	}
	if cap(r.text) > maxKeptScratch || cap(r.line) > maxKeptScratch {
		t.Fatalf("kept %d + %d bytes of scratch", cap(r.text), cap(r.line))
	}
}
