package bench

import (
	"testing"
	"time"
)

// TestSleeperWaitsAtLeast checks the sleeper's timer works and never wakes
// early (how much late is a matter for benchmarks, not tests).
func TestSleeperWaitsAtLeast(t *testing.T) {
	s := newSleeper()
	defer s.close()
	for _, d := range []time.Duration{0, -time.Millisecond, 50 * time.Microsecond, 500 * time.Microsecond, 2 * time.Millisecond, 6 * time.Millisecond} {
		for range 20 {
			t0 := time.Now()
			s.sleep(d)
			if got := time.Since(t0); got < d {
				t.Fatalf("sleep(%v) returned after %v", d, got)
			}
		}
	}
	if s != nil && !s.wait(100*time.Microsecond) {
		t.Fatal("the kernel timer could not be armed or read")
	}
}
