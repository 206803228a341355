package packet

import (
	"bytes"
	"testing"
)

// AppendAck writes what Append writes for the same Ack, and refuses what it
// refuses.
func TestAppendAckMatchesAppend(t *testing.T) {
	codes := []ReasonCode{Success, NoMatchingSubscribers, UnspecifiedError, PacketIdentifierNotFound, ReasonCode(0x42)}
	for _, v := range []byte{V31, V311, V5, 6} {
		for _, typ := range []Type{TypePuback, TypePubrec, TypePubrel, TypePubcomp, TypePublish} {
			for _, pid := range []uint16{0, 1, 0x1234, 0xffff} {
				for _, code := range codes {
					want, werr := Append([]byte{0xee}, &Ack{PacketType: typ, PacketID: pid, ReasonCode: code}, v)
					got, gerr := AppendAck([]byte{0xee}, v, typ, pid, code)
					if (werr == nil) != (gerr == nil) || !bytes.Equal(got, want) {
						t.Fatalf("v%d %v pid %d code %v: AppendAck % x (%v), Append % x (%v)", v, typ, pid, code, got, gerr, want, werr)
					}
				}
			}
		}
	}
}

func TestAckRoundTripNoAllocs(t *testing.T) {
	buf := make([]byte, 0, 16)
	allocs := exactAllocs(1000, func() {
		var err error
		if buf, err = AppendAck(buf[:0], V5, TypePuback, 7, NoMatchingSubscribers); err != nil {
			t.Fatal(err)
		}
	})
	if allocs > 0.1 {
		t.Errorf("AppendAck: %.2f allocations, want 0", allocs)
	}
	for _, v := range []byte{V311, V5} {
		ack, _ := AppendAck(nil, v, TypePuback, 7, Success)
		r := NewReader(&repeatReader{data: ack}, 0)
		r.Version = v
		r.Borrow = true
		allocs := exactAllocs(1000, func() {
			if _, err := r.Read(); err != nil {
				t.Fatal(err)
			}
		})
		if allocs > 0.1 {
			t.Errorf("v%d: %.2f allocations per borrowed PUBACK read, want 0", v, allocs)
		}
	}
}

// With Borrow, acknowledgements come in the Reader's one Ack value, each
// whole until the next Read: a reason code or properties of one never show
// in the next.
func TestReaderBorrowLendsOneAck(t *testing.T) {
	props := &Properties{ReasonString: "no one listens"}
	props.Set(PropReasonString)
	acks := []*Ack{
		{PacketType: TypePuback, PacketID: 1, ReasonCode: NoMatchingSubscribers, Properties: props},
		{PacketType: TypePubrec, PacketID: 2},
		{PacketType: TypePubrel, PacketID: 3, ReasonCode: PacketIdentifierNotFound},
		{PacketType: TypePubcomp, PacketID: 4},
	}
	var stream []byte
	for _, a := range acks {
		b, err := Append(nil, a, V5)
		if err != nil {
			t.Fatal(err)
		}
		stream = append(stream, b...)
	}
	r := NewReader(bytes.NewReader(stream), 0)
	r.Version = V5
	r.Borrow = true
	var first *Ack
	for i, want := range acks {
		p, err := r.Read()
		if err != nil {
			t.Fatalf("ack %d: %v", i, err)
		}
		got := p.(*Ack)
		if first == nil {
			first = got
		} else if got != first {
			t.Fatalf("ack %d: a new Ack, not the lent one", i)
		}
		if got.PacketType != want.PacketType || got.PacketID != want.PacketID || got.ReasonCode != want.ReasonCode ||
			(got.Properties == nil) != (want.Properties == nil) {
			t.Fatalf("ack %d: got %+v, want %+v", i, got, want)
		}
	}
}
