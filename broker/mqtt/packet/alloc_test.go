package packet

import (
	"bytes"
	"errors"
	"io"
	"runtime"
	"runtime/metrics"
	"testing"
)

// repeatReader yields the same bytes forever, like a client that keeps
// publishing the same message.
type repeatReader struct {
	data []byte
	off  int
}

func (r *repeatReader) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		c := copy(p[n:], r.data[r.off:])
		n += c
		r.off = (r.off + c) % len(r.data)
	}
	return n, nil
}

func publishBytes(tb testing.TB, v byte, props *Properties) []byte {
	b, err := AppendPublish(nil, v, "sensors/room1/temperature", bytes.Repeat([]byte{'x'}, 64), 1, false, false, 7, props)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

func TestDecodePublishAllocs(t *testing.T) {
	for _, v := range []byte{V311, V5} {
		r := NewReader(&repeatReader{data: publishBytes(t, v, nil)}, 0)
		r.Version = v
		allocs := exactAllocs(1000, func() {
			if _, err := r.Read(); err != nil {
				t.Fatal(err)
			}
		})
		// The *Publish and its payload; the topic string comes from the
		// Reader's topic cache.
		if allocs > 2.1 { // slack for rare allocations by the runtime itself
			t.Errorf("v%d: %.2f allocations per PUBLISH decode, want <= 2", v, allocs)
		}
	}
}

func TestAppendPublishNoAllocs(t *testing.T) {
	props := &Properties{UserProperties: []UserProperty{{"k", "v"}}}
	props.MessageExpiryInterval = 60
	props.Set(PropMessageExpiryInterval)
	payload := bytes.Repeat([]byte{'x'}, 64)
	buf := make([]byte, 0, 512)
	allocs := exactAllocs(1000, func() {
		var err error
		if buf, err = AppendPublish(buf[:0], V5, "a/b", payload, 1, false, false, 1, props); err != nil {
			t.Fatal(err)
		}
	})
	if allocs > 0.1 {
		t.Errorf("AppendPublish: %.2f allocations, want 0", allocs)
	}
	sub := &Subscribe{PacketID: 1, Subscriptions: []Subscription{{Filter: "a/+", QoS: 1}, {Filter: "b/#"}}}
	allocs = exactAllocs(1000, func() {
		var err error
		if buf, err = Append(buf[:0], sub, V5); err != nil {
			t.Fatal(err)
		}
	})
	if allocs > 0.1 {
		t.Errorf("Append SUBSCRIBE: %.2f allocations, want 0", allocs)
	}
}

// exactAllocs is testing.AllocsPerRun without its rounding down to an
// integer.
func exactAllocs(runs int, f func()) float64 {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	f() // warm up
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	for i := 0; i < runs; i++ {
		f()
	}
	runtime.ReadMemStats(&m1)
	return float64(m1.Mallocs-m0.Mallocs) / float64(runs)
}

func heapAllocBytes() uint64 {
	s := []metrics.Sample{{Name: "/gc/heap/allocs:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// TestHugeRemainingLengthBoundedAllocation: a 5-byte header announcing a
// 256 MB packet must not make the Reader allocate 256 MB.
func TestHugeRemainingLengthBoundedAllocation(t *testing.T) {
	in := []byte{0x30, 0xff, 0xff, 0xff, 0x7f, 0x00, 0x01, 't'}
	runtime.GC()
	before := heapAllocBytes()
	r := NewReader(bytes.NewReader(in), 0)
	r.Version = V311
	_, err := r.Read()
	after := heapAllocBytes()
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("error = %v", err)
	}
	if got := after - before; got > 1<<20 {
		t.Fatalf("allocated %d bytes for an 8-byte input", got)
	}
}

// TestLargePublishPayloadAliasesBody: a body read outside the buffer is not
// copied again, and stays valid after further reads.
func TestLargePublishPayloadAliasesBody(t *testing.T) {
	payload := bytes.Repeat([]byte("0123456789"), 10000)
	a, _ := AppendPublish(nil, V311, "big", payload, 0, false, false, 0, nil)
	b, _ := AppendPublish(nil, V311, "big", []byte("small"), 0, false, false, 0, nil)
	r := NewReader(bytes.NewReader(append(a, b...)), 0)
	r.Version = V311
	p1, err := r.Read()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Read(); err != nil {
		t.Fatal(err)
	}
	if got := p1.(*Publish).Payload; !bytes.Equal(got, payload) || cap(got) != len(got) {
		t.Fatalf("payload corrupted or has spare capacity (len %d cap %d)", len(got), cap(got))
	}
}
