package packet

import (
	"bytes"
	"testing"
)

// Grow keeps buffered bytes: packets already read into the small buffer are
// decoded after growing.
func TestReaderGrowKeepsBufferedBytes(t *testing.T) {
	var stream []byte
	for i := 0; i < 20; i++ {
		b, err := AppendPublish(nil, V311, "t/x", []byte{byte(i), 1, 2, 3}, 0, false, false, 0, nil)
		if err != nil {
			t.Fatal(err)
		}
		stream = append(stream, b...)
	}
	r := NewReader(bytes.NewReader(stream), 16)
	r.SetVersion(V311)
	for i := 0; i < 20; i++ {
		if i == 3 {
			r.Grow(64 << 10)
		}
		p, err := r.Read()
		if err != nil {
			t.Fatalf("packet %d: %v", i, err)
		}
		if got := p.(*Publish).Payload[0]; got != byte(i) {
			t.Fatalf("packet %d has payload %d", i, got)
		}
	}
}
