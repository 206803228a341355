package main

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestProcsPolicy(t *testing.T) {
	p := procsPolicy{max: 4, cur: 1, quietFor: time.Second}
	step := 100 * time.Millisecond
	for i, c := range []struct {
		used float64
		want int
	}{
		{0.05, 1}, {0.4, 1}, // light load: one thread
		{0.5, 4},           // half a core: every core
		{0.2, 4}, {0.3, 4}, // a sample between the marks restarts the quiet time
		{0.1, 4}, {0.1, 4}, {0.1, 4}, {0.1, 4}, {0.1, 4}, {0.1, 4}, {0.1, 4}, {0.1, 4}, {0.1, 4},
		{0.1, 1}, // quiet for a second
		{0.49, 1},
		{1.7, 4},
	} {
		if got := p.next(c.used, step); got != c.want {
			t.Fatalf("sample %d (%.2f cores): %d threads, want %d", i, c.used, got, c.want)
		}
	}
}

// The tuner follows a CPU clock the test drives: one thread at first, all
// when busy, one again after the quiet time, all cores when it stops.
func TestProcsTunerFollowsLoad(t *testing.T) {
	var (
		cpu  atomic.Int64 // nanoseconds
		busy atomic.Bool
		mu   sync.Mutex
		sets []int
	)
	set := func(k int) {
		mu.Lock()
		sets = append(sets, k)
		mu.Unlock()
	}
	last := func() int {
		mu.Lock()
		defer mu.Unlock()
		return sets[len(sets)-1]
	}
	// The clock advances at two cores while busy, else at a hundredth.
	stopClock := make(chan struct{})
	go func() {
		prev := time.Now()
		for {
			select {
			case <-stopClock:
				return
			case <-time.After(time.Millisecond):
			}
			now := time.Now()
			rate := 0.01
			if busy.Load() {
				rate = 2
			}
			cpu.Add(int64(rate * float64(now.Sub(prev))))
			prev = now
		}
	}()
	defer close(stopClock)
	tu := newProcsTuner(procsPolicy{max: 2, quietFor: 50 * time.Millisecond}, func() time.Duration { return time.Duration(cpu.Load()) }, set, 5*time.Millisecond)
	wait := func(want int, what string) {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for last() != want {
			if time.Now().After(deadline) {
				t.Fatalf("%s: GOMAXPROCS %d, want %d (set %v)", what, last(), want, sets)
			}
			time.Sleep(time.Millisecond)
		}
	}
	wait(1, "at start")
	busy.Store(true)
	wait(2, "busy")
	busy.Store(false)
	wait(1, "quiet again")
	busy.Store(true)
	wait(2, "busy again")
	busy.Store(false)
	tu.close()
	if got := last(); got != 2 {
		t.Fatalf("after stop: GOMAXPROCS %d, want all cores", got)
	}
}

// The process's CPU clock moves with work done.
func TestProcessCPU(t *testing.T) {
	before, ok := processCPU()
	if !ok {
		t.Fatal("the process's CPU time cannot be read")
	}
	x := 0
	for deadline := time.Now().Add(10 * time.Second); ; {
		for i := range 100000 {
			x += i
		}
		if now, _ := processCPU(); now-before >= 20*time.Millisecond {
			return
		}
		if time.Now().After(deadline) {
			now, _ := processCPU()
			t.Fatalf("10 s of work moved the CPU clock by %v (%d)", now-before, x)
		}
	}
}
