package main

import (
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"testing"
	"time"
)

func TestGCPercentFor(t *testing.T) {
	const floor = 64 << 20
	for _, c := range []struct {
		live uint64
		want int
	}{
		{0, 100},
		{4 << 20, 1500}, // goal 4 MiB × 16 = 64 MiB
		{16 << 20, 300}, // goal 64 MiB
		{32 << 20, 100}, // half the floor: the default from here on
		{1 << 30, 100},  // a big backlog keeps GOGC=100
		{30 << 20, 113}, // just under half
	} {
		if got := gcPercentFor(c.live, floor); got != c.want {
			t.Errorf("gcPercentFor(%d MiB) = %d, want %d", c.live>>20, got, c.want)
		}
	}
}

func gogc() uint64 {
	s := []metrics.Sample{{Name: "/gc/gogc:percent"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// The tuner raises GOGC while the live heap is small, re-tuning after
// collections; stopping it restores 100.
func TestGCTunerFollowsCollections(t *testing.T) {
	t.Setenv("GOGC", "")
	defer debug.SetGCPercent(100)
	_, stop := startGCTuner(1 << 40) // a floor no test heap reaches
	deadline := time.Now().Add(10 * time.Second)
	for gogc() <= 100 {
		if time.Now().After(deadline) {
			t.Fatalf("GOGC still %d with a live heap far below the floor", gogc())
		}
		runtime.GC()
		time.Sleep(time.Millisecond)
	}
	stop()
	if p := gogc(); p != 100 {
		t.Fatalf("GOGC %d after stop, want 100", p)
	}
}

// A GOGC from the environment is the operator's choice: left alone.
func TestGCTunerLeavesGOGCAlone(t *testing.T) {
	t.Setenv("GOGC", "100")
	_, stop := startGCTuner(1 << 40)
	defer stop()
	runtime.GC()
	runtime.GC()
	if p := gogc(); p != 100 {
		t.Fatalf("GOGC %d, want the environment's 100", p)
	}
}

// At light load the floor is off: GOGC goes back to 100 at once, and up
// again when the broker is busy and the next collection re-tunes.
func TestGCTunerFloorOnlyWhenBusy(t *testing.T) {
	t.Setenv("GOGC", "")
	defer debug.SetGCPercent(100)
	busy, stop := startGCTuner(1 << 40)
	defer stop()
	waitGOGC := func(raised bool, what string) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for (gogc() > 100) != raised {
			if time.Now().After(deadline) {
				t.Fatalf("%s: GOGC %d", what, gogc())
			}
			runtime.GC()
			time.Sleep(time.Millisecond)
		}
	}
	waitGOGC(true, "busy at start")
	busy(false)
	if p := gogc(); p != 100 {
		t.Fatalf("light load: GOGC %d, want 100 at once", p)
	}
	busy(true)
	waitGOGC(true, "busy again")
}
