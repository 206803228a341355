package broker

import (
	"bytes"
	"testing"
)

// NewMessage hands out exactly n bytes, capped, with Props only when asked,
// and a payload appended to by a careless caller cannot reach what is
// stored after it (a bridge's message id).
func TestNewMessageSizes(t *testing.T) {
	for _, n := range []int{0, 1, 31, 32, 33, 64, 65, 128, 129, 256, 257, 4096} {
		for _, props := range []bool{false, true} {
			m, buf := NewMessage(n, props)
			if len(buf) != n || cap(buf) != n {
				t.Fatalf("n=%d props=%v: len %d cap %d", n, props, len(buf), cap(buf))
			}
			if (m.Props != nil) != props {
				t.Fatalf("n=%d props=%v: Props %v", n, props, m.Props)
			}
			if n < 2 {
				continue
			}
			for i := range buf {
				buf[i] = 'i'
			}
			half := n / 2
			m.Payload = buf[:half:half]
			grown := append(m.Payload, 'x', 'y', 'z')
			if !bytes.Equal(buf[half:], bytes.Repeat([]byte{'i'}, n-half)) {
				t.Fatalf("n=%d: append to the payload wrote past it", n)
			}
			if &grown[0] == &buf[0] {
				t.Fatalf("n=%d: append did not move the payload", n)
			}
		}
	}
}

// Small messages are one allocation, whatever their payload size class.
func TestNewMessageAllocations(t *testing.T) {
	for _, n := range []int{16, 64, 200} {
		got := testing.AllocsPerRun(100, func() {
			m, buf := NewMessage(n, true)
			m.Payload = buf
		})
		if got != 1 {
			t.Fatalf("n=%d: %.1f allocations, want 1", n, got)
		}
	}
}
