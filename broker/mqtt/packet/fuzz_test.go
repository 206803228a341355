package packet

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"reflect"
	"runtime"
	"testing"
)

var fuzzVersions = []byte{0, V31, V311, V5}

func addSeeds(f *testing.F) {
	for _, tc := range allDecodeCases() {
		f.Add(hx(f, tc.in))
	}
	r := rand.New(rand.NewPCG(3, 4))
	for _, v := range []byte{V31, V311, V5} {
		for i := 0; i < 40; i++ {
			b, err := Append(nil, randPacket(r, v), v)
			if err == nil {
				f.Add(b)
			}
		}
	}
	// A header announcing ~256 MB with almost no body.
	f.Add([]byte{0x30, 0xff, 0xff, 0xff, 0x7f, 0x00, 0x01, 't'})
}

// readStream reads packets until an error that ends the stream, checking
// the documented error contract.
func readStream(t *testing.T, data []byte, v byte) {
	bufSize := 16
	if len(data)%2 == 0 {
		bufSize = 4096
	}
	r := NewReader(bytes.NewReader(data), bufSize)
	r.Version = v
	for i := 0; i < 1000; i++ {
		p, err := r.Read()
		if err == nil {
			if p == nil {
				t.Fatalf("v%d: nil packet without error", v)
			}
			continue
		}
		var e *Error
		if err != io.EOF && err != io.ErrUnexpectedEOF && !errors.As(err, &e) {
			t.Fatalf("v%d: undocumented error %T %v", v, err, err)
		}
		if e != nil && e.Code < 0x80 {
			t.Fatalf("v%d: error with success code %v", v, e)
		}
		if p != nil {
			if _, ok := p.(*Connect); !ok || !errors.Is(err, UnsupportedProtocolVersion) {
				t.Fatalf("v%d: packet %T returned with error %v", v, p, err)
			}
		}
		if !errors.Is(err, UnsupportedProtocolVersion) {
			return
		}
	}
}

// FuzzRead feeds arbitrary bytes to a Reader at every starting version. It
// must not panic, must return only documented errors, and must not
// allocate memory out of proportion to the input (a header announcing
// 256 MB must not allocate 256 MB).
func FuzzRead(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		limit := uint64(256<<10 + 512*len(data))
		for _, v := range fuzzVersions {
			before := heapAllocBytes()
			readStream(t, data, v)
			if heapAllocBytes()-before <= limit {
				continue
			}
			// The runtime metric is process-wide and the fuzzing engine
			// allocates too: re-measure with exact statistics and keep the
			// smallest, since this package's allocations are deterministic.
			least := ^uint64(0)
			for try := 0; try < 3; try++ {
				var m0, m1 runtime.MemStats
				runtime.ReadMemStats(&m0)
				readStream(t, data, v)
				runtime.ReadMemStats(&m1)
				least = min(least, m1.TotalAlloc-m0.TotalAlloc)
			}
			if least > limit {
				t.Fatalf("v%d: allocated %d bytes for %d input bytes", v, least, len(data))
			}
		}
	})
}

// FuzzRoundTrip decodes arbitrary bytes; whatever decodes must re-encode,
// decode to an equal packet, and re-encode to the same bytes.
func FuzzRoundTrip(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, v := range fuzzVersions {
			p, _, err := Decode(data, v)
			if err != nil {
				continue
			}
			ev := v
			if c, ok := p.(*Connect); ok {
				ev = c.ProtocolVersion
			}
			enc, err := Append(nil, p, ev)
			if err != nil {
				t.Fatalf("v%d: decoded %#v but cannot encode it: %v", v, p, err)
			}
			if n := Size(p, ev); n != len(enc) {
				t.Fatalf("v%d: Size %d, Append wrote %d", v, n, len(enc))
			}
			p2, n, err := Decode(enc, v)
			if err != nil || n != len(enc) {
				t.Fatalf("v%d: re-decode of % x: %v", v, enc, err)
			}
			if !reflect.DeepEqual(p, p2) {
				t.Fatalf("v%d: round trip differs:\n first %#v\nsecond %#v", v, p, p2)
			}
			enc2, err := Append(nil, p2, ev)
			if err != nil || !bytes.Equal(enc, enc2) {
				t.Fatalf("v%d: second encoding differs: %v\n% x\n% x", v, err, enc, enc2)
			}
		}
	})
}
