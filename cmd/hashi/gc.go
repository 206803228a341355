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
	percent int
	sample  []metrics.Sample
	stopped bool
}

// startGCTuner starts tuning unless GOGC is set; stop ends it.
func startGCTuner(floor uint64) (stop func()) {
	if os.Getenv("GOGC") != "" {
		return func() {}
	}
	t := &gcTuner{floor: floor, percent: 100, sample: []metrics.Sample{{Name: "/gc/heap/live:bytes"}}}
	t.tune()
	t.arm()
	return func() {
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
	p := gcPercentFor(live, t.floor)
	// Small changes are not worth a call into the runtime.
	if p != t.percent && (p > t.percent*9/8 || p < t.percent*7/8 || p == 100) {
		debug.SetGCPercent(p)
		t.percent = p
	}
	return true
}
