package network

import (
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-stomp/stomp/v3/frame"

	wire "github.com/hashi-broker/hashi/broker/stomp/frame"
)

func ackList(seqs []uint64) string { return string(appendAckList(nil, seqs)) }

func parsed(s string) []uint64 {
	var got []uint64
	parseAckList(s, func(n uint64) { got = append(got, n) })
	return got
}

func TestAckListRuns(t *testing.T) {
	for _, c := range []struct {
		seqs []uint64
		want string
	}{
		{[]uint64{7}, "7"},
		{[]uint64{7, 8, 9, 10, 12, 14, 15}, "7-10,12,14-15"},
		{[]uint64{3, 2, 1}, "3,2,1"}, // out of order: listed as they came
		{[]uint64{5, 5}, "5,5"},
		{[]uint64{1<<64 - 1, 0, 1}, "18446744073709551615,0-1"}, // no run across the wrap
	} {
		got := ackList(c.seqs)
		if got != c.want {
			t.Errorf("appendAckList(%v) = %q, want %q", c.seqs, got, c.want)
		}
		if back := parsed(got); !slices.Equal(back, c.seqs) {
			t.Errorf("parseAckList(%q) = %v, want %v", got, back, c.seqs)
		}
	}
}

// A list from a peer is never trusted: malformed entries are skipped, a
// run may not be reversed or longer than maxAckRun, and one frame settles
// at most maxAcks numbers.
func TestAckListHostile(t *testing.T) {
	if got := parsed("x,1-,-3,9-4,5, 6,7"); !slices.Equal(got, []uint64{5, 7}) {
		t.Fatalf("malformed entries: %v, want [5 7]", got)
	}
	if got := parsed("1-99999999999,3"); !slices.Equal(got, []uint64{3}) {
		t.Fatalf("an overlong run: %v, want [3]", got)
	}
	if got := parsed("18446744073709551614-18446744073709551615"); len(got) != 2 {
		t.Fatalf("a run at the top of the range: %v", got)
	}
	var n int
	parseAckList(strings.Repeat("1-65536,", 40), func(uint64) { n++ })
	if n != maxAcks {
		t.Fatalf("%d numbers settled by one frame, want the cap %d", n, maxAcks)
	}
	// Long runs are split when written, so what one side writes the other
	// reads back whole.
	seqs := make([]uint64, maxAckRun+10)
	for i := range seqs {
		seqs[i] = uint64(i + 1)
	}
	if back := parsed(ackList(seqs)); !slices.Equal(back, seqs) {
		t.Fatalf("a run longer than maxAckRun did not survive the round trip: %d numbers back", len(back))
	}
}

// FuzzAckList: any text parses without panicking within the caps, and any
// list of numbers survives a round trip.
func FuzzAckList(f *testing.F) {
	f.Add("7-10,12,14-15", uint64(1), uint64(3))
	f.Add("1-99999999999,,-", uint64(0), uint64(0))
	f.Fuzz(func(t *testing.T, s string, start, count uint64) {
		n := 0
		parseAckList(s, func(uint64) { n++ })
		if n > maxAcks {
			t.Fatalf("%d numbers from %q", n, s)
		}
		count %= 300
		seqs := make([]uint64, 0, count)
		for i := uint64(0); i < count; i++ {
			seqs = append(seqs, start+i*(i%3)) // runs, gaps and repeats
		}
		if back := parsed(ackList(seqs)); !slices.Equal(back, seqs) && len(seqs) > 0 {
			t.Fatalf("round trip of %v gave %v", seqs, back)
		}
	})
}

// A peer speaking another version of the bridge protocol is refused with
// an ERROR that says which versions met, not bridged half-way.
func TestNetworkRefusesOtherProtocolVersion(t *testing.T) {
	b := newNode(t, "b")
	nc, err := net.Dial("tcp", b.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	nc.SetDeadline(time.Now().Add(10 * time.Second))
	connect := frame.New(frame.CONNECT, frame.AcceptVersion, "1.2", frame.Host, "b",
		hBridge, "1", hBroker, "old", hBrokerID, "old-1", hConnector, "old_to_b")
	if _, err := nc.Write(wire.Append(nil, connect, "1.2")); err != nil {
		t.Fatal(err)
	}
	r := wire.NewReader(nc, 4096)
	r.Version = "1.2"
	var f *frame.Frame
	for f == nil && err == nil {
		f, err = r.Read()
	}
	if err != nil {
		t.Fatal(err)
	}
	if msg := f.Header.Get(frame.Message); f.Command != frame.ERROR || !strings.Contains(msg, `protocol "1"`) || !strings.Contains(msg, "speaks "+ProtocolVersion) {
		t.Fatalf("answer %s %q, want ERROR naming both versions", f.Command, msg)
	}
}
