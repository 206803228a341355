package broker

import (
	"bytes"
	"testing"
	"unsafe"
)

// NewMessage hands out exactly n bytes, capped, and the id it was given;
// a payload appended to by a careless caller cannot reach the id stored
// after it.
func TestNewMessageSizes(t *testing.T) {
	for _, n := range []int{0, 1, 31, 32, 33, 64, 65, 128, 129, 256, 257, 4096} {
		for _, id := range []string{"", "ID:tokyo-1a2b-42"} {
			m, buf := NewMessage(n, []byte(id))
			if len(buf) != n || cap(buf) != n {
				t.Fatalf("n=%d id=%q: len %d cap %d", n, id, len(buf), cap(buf))
			}
			if got := m.KnownID(); got != id {
				t.Fatalf("n=%d: id %q, want %q", n, got, id)
			}
			for i := range buf {
				buf[i] = 'p'
			}
			m.Payload = buf
			grown := append(m.Payload, "appended after the payload"...)
			if m.KnownID() != id || !bytes.Equal(buf, bytes.Repeat([]byte{'p'}, n)) {
				t.Fatalf("n=%d: append to the payload changed the id to %q", n, m.KnownID())
			}
			if n > 0 && &grown[0] == &buf[0] {
				t.Fatalf("n=%d: append did not move the payload", n)
			}
		}
	}
}

// Small messages are one allocation, id included.
func TestNewMessageAllocations(t *testing.T) {
	id := []byte("ID:tokyo-1a2b-42")
	for _, n := range []int{16, 64, 200} {
		got := testing.AllocsPerRun(100, func() {
			m, buf := NewMessage(n, id)
			m.Payload = buf
		})
		if got != 1 {
			t.Fatalf("n=%d: %.1f allocations, want 1", n, got)
		}
	}
}

// A message without an id gets one built from its broker and sequence on
// first use; one that arrived with an id keeps it.
func TestMessageID(t *testing.T) {
	m := &Message{Seq: 42}
	if m.KnownID() != "" {
		t.Fatalf("an id before any was asked for: %q", m.KnownID())
	}
	if got := m.ID("tokyo"); got != "ID:tokyo-42" || m.KnownID() != got {
		t.Fatalf("built id %q, known %q", got, m.KnownID())
	}
	r := &Message{Seq: 7}
	r.SetID("ID:osaka-9")
	if got := r.ID("tokyo"); got != "ID:osaka-9" || r.Copy().ID("x") != "ID:osaka-9" {
		t.Fatalf("arrived id replaced by %q", got)
	}
}

// A message with a 64-byte payload, what an IoT fleet mostly publishes,
// takes one 224-byte object: a field that grows Message moves every
// message up a size class (measured with go test -bench . -benchmem
// ./broker), so this guards the layout.
func TestMessageLayout(t *testing.T) {
	if got := unsafe.Sizeof(msg64{}); got > 224 {
		t.Errorf("a message with 64 payload bytes is %d bytes, want at most 224 (Message is %d)", got, unsafe.Sizeof(Message{}))
	}
}
