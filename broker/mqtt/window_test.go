package mqtt

import (
	"math/rand/v2"
	"testing"

	"github.com/hashi-broker/hashi/broker"
)

// The window against a map of what is in flight, over random runs of
// deliveries and acknowledgements: ids are handed out in turn, never one in
// flight, never 0, and each id finds its own delivery, while the table grows
// from its first slots to every id having one.
func TestWindowAgainstModel(t *testing.T) {
	for _, maxInFlight := range []int{1, 3, 100, 5000, 65535} {
		rng := rand.New(rand.NewPCG(uint64(maxInFlight), 7))
		var w window
		model := map[uint16]*broker.Message{}
		var last uint16
		var order uint64
		for step := 0; step < 200000; step++ {
			if len(model) < maxInFlight && (len(model) == 0 || rng.IntN(100) < 55) {
				m := &broker.Message{}
				order++
				f := w.add(delivery{msg: m, qos: 1}, order)
				if f.pid == 0 || model[f.pid] != nil {
					t.Fatalf("max %d step %d: id %d handed out while in flight (or 0)", maxInFlight, step, f.pid)
				}
				// The next id not in flight after the last one.
				want := last
				for {
					if want++; want == 0 {
						want = 1
					}
					if model[want] == nil {
						break
					}
				}
				if f.pid != want {
					t.Fatalf("max %d step %d: id %d, want %d", maxInFlight, step, f.pid, want)
				}
				model[f.pid], last = m, f.pid
				continue
			}
			// Acknowledge an id in flight: mostly the oldest few, as clients do,
			// sometimes any, and sometimes one that is not in flight.
			pid := uint16(rng.IntN(65536))
			if rng.IntN(10) > 0 {
				for k := range model {
					pid = k
					break
				}
			}
			f := w.get(pid)
			if (f != nil) != (model[pid] != nil) || f != nil && (f.msg != model[pid] || f.pid != pid) {
				t.Fatalf("max %d step %d: get(%d) = %+v, model has %p", maxInFlight, step, pid, f, model[pid])
			}
			if f != nil {
				w.remove(f)
				delete(model, pid)
			}
			if w.n != len(model) {
				t.Fatalf("max %d step %d: %d in flight, want %d", maxInFlight, step, w.n, len(model))
			}
		}
		seen := 0
		w.each(func(f *inflight) {
			if model[f.pid] != f.msg {
				t.Fatalf("max %d: each gave id %d, not in flight", maxInFlight, f.pid)
			}
			seen++
		})
		if seen != len(model) {
			t.Fatalf("max %d: each gave %d, want %d", maxInFlight, seen, len(model))
		}
		if len(w.slots) > 65536 {
			t.Fatalf("max %d: %d slots", maxInFlight, len(w.slots))
		}
	}
}

// In a stream acknowledged in order, the table stays at the size of the
// window and a delivery costs no allocation.
func TestWindowSteadyStreamNoAllocs(t *testing.T) {
	var w window
	m := &broker.Message{}
	var ring []uint16
	var order uint64
	step := func() {
		order++
		ring = append(ring, w.add(delivery{msg: m, qos: 1}, order).pid)
		if len(ring) > 100 {
			w.remove(w.get(ring[0]))
			ring = ring[1:]
		}
	}
	for range 1000 {
		step()
	}
	ring = append(make([]uint16, 0, 1<<16), ring...)
	if allocs := testing.AllocsPerRun(10000, step); allocs > 0 {
		t.Errorf("%.2f allocations per delivery", allocs)
	}
	if len(w.slots) > 256 {
		t.Errorf("%d slots for 101 in flight", len(w.slots))
	}
}
