package packet

import (
	"bytes"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
)

// hx decodes a hex literal with optional spaces, as copied from a spec
// figure or a packet capture.
func hx(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.Join(strings.Fields(s), ""))
	if err != nil {
		t.Fatalf("bad hex literal %q: %v", s, err)
	}
	return b
}

// props builds a Properties value with the given ids marked present; the
// caller fills in the values with fn.
func props(fn func(p *Properties), ids ...PropID) *Properties {
	p := &Properties{}
	for _, id := range ids {
		p.Set(id)
	}
	if fn != nil {
		fn(p)
	}
	return p
}

// errMatches reports whether got is the expected error: nil, a ReasonCode
// (matched with errors.Is) or a sentinel like io.ErrUnexpectedEOF.
func errMatches(got, want error) bool {
	if want == nil || got == nil {
		return got == want
	}
	return errors.Is(got, want)
}

// readOne reads a single packet with a Reader at the given version and
// buffer size.
func readOne(data []byte, version byte, bufSize int) (Packet, error) {
	r := NewReader(bytes.NewReader(data), bufSize)
	r.Version = version
	return r.Read()
}
