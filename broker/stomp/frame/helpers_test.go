package frame

import (
	"bytes"
	"fmt"
	"io"
	"runtime"
	"runtime/metrics"
	"strings"
	"testing"

	"github.com/go-stomp/stomp/v3/frame"
)

// fr builds a frame; kv holds alternating header names and values.
func fr(cmd, body string, kv ...string) *frame.Frame {
	f := frame.New(cmd, kv...)
	if body != "" {
		f.Body = []byte(body)
	}
	return f
}

// describe renders a frame (nil for a heart-beat) for comparisons and
// failure messages.
func describe(f *frame.Frame) string {
	if f == nil {
		return "<heart-beat>"
	}
	var b strings.Builder
	b.WriteString(f.Command)
	if f.Header != nil {
		for i := 0; i < f.Header.Len(); i++ {
			k, v := f.Header.GetAt(i)
			fmt.Fprintf(&b, " %q:%q", k, v)
		}
	}
	fmt.Fprintf(&b, " body=%q", f.Body)
	return b.String()
}

// equalFrames compares frames by command, ordered headers and body; a nil
// body equals an empty one.
func equalFrames(a, b *frame.Frame) bool {
	if a == nil || b == nil {
		return a == b
	}
	if a.Command != b.Command || !bytes.Equal(a.Body, b.Body) {
		return false
	}
	return headerOf(a) == headerOf(b)
}

func headerOf(f *frame.Frame) string {
	if f.Header == nil {
		return ""
	}
	var b strings.Builder
	for i := 0; i < f.Header.Len(); i++ {
		k, v := f.Header.GetAt(i)
		fmt.Fprintf(&b, "%q:%q\n", k, v)
	}
	return b.String()
}

// readAll reads frames (nil for heart-beats) until the first error.
func readAll(r *Reader, max int) ([]*frame.Frame, error) {
	var out []*frame.Frame
	for range max {
		f, err := r.Read()
		if err != nil {
			return out, err
		}
		out = append(out, f)
	}
	return out, fmt.Errorf("more than %d frames", max)
}

// heapAllocBytes is the cumulative number of bytes allocated on the heap.
func heapAllocBytes() uint64 {
	s := []metrics.Sample{{Name: "/gc/heap/allocs:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// allocatedBy returns the bytes allocated while fn runs.
func allocatedBy(fn func()) uint64 {
	runtime.GC()
	before := heapAllocBytes()
	fn()
	return heapAllocBytes() - before
}

// endless yields prefix, then repeats fill forever, counting what it gives
// out; it fails the test once more than limit bytes have been read, so a
// reader that does not stop at its limit is caught.
type endless struct {
	t      testing.TB
	prefix []byte
	fill   []byte
	n      int // bytes given out
	limit  int
	pos    int
}

func (e *endless) Read(p []byte) (int, error) {
	if e.n > e.limit {
		e.t.Errorf("read %d bytes, more than the %d a bounded reader may read", e.n, e.limit)
		return 0, io.ErrClosedPipe
	}
	n := 0
	for n < len(p) {
		if len(e.prefix) > 0 {
			c := copy(p[n:], e.prefix)
			e.prefix = e.prefix[c:]
			n += c
			continue
		}
		c := copy(p[n:], e.fill[e.pos:])
		e.pos = (e.pos + c) % len(e.fill)
		n += c
	}
	e.n += n
	return n, nil
}

// loop repeats a byte string forever, for benchmarks.
type loop struct {
	data []byte
	pos  int
}

func (l *loop) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		c := copy(p[n:], l.data[l.pos:])
		l.pos = (l.pos + c) % len(l.data)
		n += c
	}
	return n, nil
}
