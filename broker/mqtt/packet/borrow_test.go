package packet

import (
	"bytes"
	"errors"
	"io"
	"reflect"
	"testing"
)

// With Borrow, every PUBLISH comes in the Reader's one Publish value, its
// payload in the read buffer, and each is what an owning Reader returns
// until the next Read.
func TestReaderBorrowLendsOnePublish(t *testing.T) {
	var stream []byte
	for i := range 50 {
		payload := bytes.Repeat([]byte{byte(i)}, 10+i*97) // some beyond the buffer
		b, err := AppendPublish(nil, V311, "devices/lock-7/state", payload, byte(i%3), i%2 == 0, false, uint16(i+1), nil)
		if err != nil {
			t.Fatal(err)
		}
		stream = append(stream, b...)
	}
	r := NewReader(bytes.NewReader(stream), 1024)
	r.SetVersion(V311)
	r.Borrow = true
	var first *Publish
	for i := range 50 {
		p, err := r.Read()
		if err != nil {
			t.Fatalf("packet %d: %v", i, err)
		}
		pub := p.(*Publish)
		if first == nil {
			first = pub
		} else if pub != first {
			t.Fatalf("packet %d: a new Publish (%p), not the lent one (%p)", i, pub, first)
		}
		want := bytes.Repeat([]byte{byte(i)}, 10+i*97)
		if !bytes.Equal(pub.Payload, want) || pub.QoS != byte(i%3) || pub.Retain != (i%2 == 0) {
			t.Fatalf("packet %d: got qos %d retain %v payload of %d bytes", i, pub.QoS, pub.Retain, len(pub.Payload))
		}
		if i%3 > 0 && pub.PacketID != uint16(i+1) {
			t.Fatalf("packet %d: packet id %d", i, pub.PacketID)
		}
	}
}

// FuzzReadBorrowed reads a stream twice, lending and owning packets: each
// lent packet, before the next Read, equals the owned one; and a Reader
// that says it is Ready reads a packet without more bytes.
func FuzzReadBorrowed(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, v := range fuzzVersions {
			owned := NewReader(bytes.NewReader(data), 64)
			lent := NewReader(bytes.NewReader(data), 64)
			owned.Version, lent.Version = v, v
			lent.Borrow = true
			for i := 0; i < 1000; i++ {
				ready := lent.Ready()
				p1, err1 := owned.Read()
				p2, err2 := lent.Read()
				if ready && (errors.Is(err2, io.EOF) || errors.Is(err2, io.ErrUnexpectedEOF)) {
					t.Fatalf("v%d packet %d: Ready, then Read wanted more bytes: %v", v, i, err2)
				}
				if !reflect.DeepEqual(p1, p2) || (err1 == nil) != (err2 == nil) {
					t.Fatalf("v%d packet %d: owned %#v (%v), lent %#v (%v)", v, i, p1, err1, p2, err2)
				}
				if err1 != nil && !errors.Is(err1, UnsupportedProtocolVersion) {
					break
				}
			}
		}
	})
}

// Ready is true exactly when a whole packet is buffered.
func TestReaderReady(t *testing.T) {
	pub, err := AppendPublish(nil, V311, "t", bytes.Repeat([]byte{'x'}, 200), 0, false, false, 0, nil) // 2-byte length
	if err != nil {
		t.Fatal(err)
	}
	ack, _ := Append(nil, &Ack{PacketType: TypePuback, PacketID: 7}, V311)
	stream := append(append([]byte{}, ack...), pub...)
	for cut := 0; cut <= len(stream); cut++ {
		r := NewReader(bytes.NewReader(stream[:cut]), 1024)
		r.SetVersion(V311)
		if r.Ready() {
			t.Fatalf("cut %d: ready before anything was read", cut)
		}
		if cut < len(ack) {
			continue
		}
		if _, err := r.Read(); err != nil { // fills the buffer with all cut bytes
			t.Fatalf("cut %d: %v", cut, err)
		}
		if want := cut == len(stream); r.Ready() != want {
			t.Fatalf("cut %d of %d: Ready %v, want %v", cut, len(stream), r.Ready(), want)
		}
	}
}
