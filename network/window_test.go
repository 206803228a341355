package network

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// The window behaves like a map from sequence number to forward, whatever
// the order of acknowledgements, also for numbers sent out of order or
// acknowledged twice, and drains in sequence order.
func TestWindowIsASetOfForwards(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for round := range 20 {
		var w window
		model := map[uint64]*forward{}
		seq := uint64(0)
		for range 5000 {
			switch r := rng.IntN(10); {
			case r < 5: // send the next one (now and then an older number again)
				s := seq + 1
				if rng.IntN(50) == 0 && seq > 10 {
					s = seq - uint64(rng.IntN(10))
				} else {
					seq++
				}
				f := &forward{seq: s}
				w.add(f)
				model[s] = f
			default: // acknowledge one, in flight or not, mostly near the front
				var s uint64
				if keys := mapKeys(model); len(keys) > 0 && r < 8 {
					s = keys[min(rng.IntN(4), len(keys)-1)]
				} else {
					s = uint64(rng.IntN(int(seq) + 2))
				}
				got, want := w.remove(s), model[s]
				delete(model, s)
				if got != want {
					t.Fatalf("round %d: remove(%d) = %v, want %v", round, s, got, want)
				}
			}
			if w.len() != len(model) {
				t.Fatalf("round %d: len %d, want %d", round, w.len(), len(model))
			}
		}
		drained := w.drain()
		keys := mapKeys(model)
		if len(drained) != len(keys) {
			t.Fatalf("round %d: drained %d, want %d", round, len(drained), len(keys))
		}
		for i, f := range drained {
			if f.seq != keys[i] || f != model[f.seq] {
				t.Fatalf("round %d: drained[%d] has seq %d, want %d", round, i, f.seq, keys[i])
			}
		}
		if w.len() != 0 || w.remove(keys[0]) != nil {
			t.Fatalf("round %d: not empty after drain", round)
		}
	}
}

func mapKeys(m map[uint64]*forward) []uint64 {
	keys := make([]uint64, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// BenchmarkWindow is the sending bridge's bookkeeping per reliable forward
// at a window of 1,000: put in flight, then acknowledged in order.
func BenchmarkWindow(b *testing.B) {
	const size = 1000
	fs := make([]forward, size)
	var w window
	seq := uint64(0)
	b.ReportAllocs()
	for b.Loop() {
		seq++
		f := &fs[seq%size]
		f.seq = seq
		w.add(f)
		if seq > size {
			if w.remove(seq-size) == nil {
				b.Fatal("lost a forward")
			}
		}
	}
}
