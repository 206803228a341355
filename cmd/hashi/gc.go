package main

import (
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
)

// A broker's live heap is small (connections, subscriptions, what is queued)
// while it allocates a payload per message: at 1 GB/s of 16 KiB messages and
// a 5 MiB live heap, Go's default GOGC=100 collects about two hundred times
// a second, which cost a fifth of the CPU in profiles. The broker therefore
// keeps the collector's heap goal at least gcFloor: it runs as GOGC=100 once
// the live heap passes half of gcFloor, and with a higher GOGC below that.
// A GOGC set in the environment turns this off; GOMEMLIMIT still applies.
//
// The floor applies only while the broker is busy, as the procs tuner
// decides (procs.go). At light load it collects as GOGC=100: the few
// messages it handles then reuse memory still in the caches instead of
// walking through the floor's worth of fresh pages, which measured at 2,000
// QoS 0 messages a second took 6 to 7 µs off the p50 latency (paired runs),
// and an idle broker gives its garbage back.
const gcFloor = 64 << 20

// gcPercentFor returns the GOGC that puts the heap goal of a live heap at
// floor, and never under 100.
func gcPercentFor(live, floor uint64) int {
	if live == 0 || live*2 >= floor {
		return 100
	}
	return int(floor*100/live) - 100
}

// gcTuner re-tunes GOGC after every collection.
type gcTuner struct {
	floor   uint64
	mu      sync.Mutex
	light   bool // the broker is lightly loaded: no floor
	percent int
	sample  []metrics.Sample
	stopped bool
}

// startGCTuner starts tuning unless GOGC is set; busy tells it whether the
// broker is under load (it starts as if it were), and stop ends it.
func startGCTuner(floor uint64) (busy func(bool), stop func()) {
	if os.Getenv("GOGC") != "" {
		return func(bool) {}, func() {}
	}
	t := &gcTuner{floor: floor, percent: 100, sample: []metrics.Sample{{Name: "/gc/heap/live:bytes"}}}
	t.tune()
	t.arm()
	busy = func(b bool) {
		t.mu.Lock()
		t.light = !b
		t.mu.Unlock()
		t.tune()
	}
	return busy, func() {
		t.mu.Lock()
		t.stopped = true
		t.mu.Unlock()
		debug.SetGCPercent(100)
	}
}

// sentinel is garbage the moment it is made: its cleanup runs after the
// next collection and arms a new one.
type sentinel struct{ _ *byte }

func (t *gcTuner) arm() {
	runtime.AddCleanup(new(sentinel), func(t *gcTuner) {
		if t.tune() {
			t.arm()
		}
	}, t)
}

// tune sets GOGC for the live heap after the last collection; it reports
// false once stopped.
func (t *gcTuner) tune() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.stopped {
		return false
	}
	metrics.Read(t.sample)
	var live uint64
	if t.sample[0].Value.Kind() == metrics.KindUint64 {
		live = t.sample[0].Value.Uint64()
	}
	floor := t.floor
	if t.light {
		floor = 0
	}
	p := gcPercentFor(live, floor)
	// Small changes are not worth a call into the runtime.
	if p != t.percent && (p > t.percent*9/8 || p < t.percent*7/8 || p == 100) {
		debug.SetGCPercent(p)
		t.percent = p
	}
	return true
}
