package bench

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

func TestBucketsCoverEveryValue(t *testing.T) {
	for _, v := range []int64{0, 1, 127, 128, 129, 255, 256, 257, 1000, 1 << 20, 1<<20 + 12345, math.MaxInt64} {
		i := bucketOf(v)
		lo, hi := bucketRange(i)
		if v < lo || v > hi {
			t.Errorf("value %d in bucket %d = [%d, %d]", v, i, lo, hi)
		}
		if v >= subBuckets && float64(hi-lo) > float64(lo)/subBuckets {
			t.Errorf("bucket %d [%d, %d] wider than 1/%d", i, lo, hi, subBuckets)
		}
	}
	if n := len(newHistogram().counts); bucketOf(math.MaxInt64) >= n {
		t.Errorf("max bucket %d beyond %d", bucketOf(math.MaxInt64), n)
	}
}

func TestPercentileExactBelow128(t *testing.T) {
	h := newHistogram()
	for v := int64(1); v <= 100; v++ {
		h.record(v)
	}
	for q, want := range map[float64]int64{0.01: 1, 0.5: 50, 0.9: 90, 0.99: 99, 1: 100} {
		if got := h.percentile(q); got != want {
			t.Errorf("p%v = %d, want %d", q*100, got, want)
		}
	}
	if h.min != 1 || h.max != 100 || h.n != 100 {
		t.Errorf("min %d max %d n %d", h.min, h.max, h.n)
	}
}

// TestPercentileMatchesSorted compares with the exact nearest-rank
// percentile of a sorted sample: within the bucket precision.
func TestPercentileMatchesSorted(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	var vs []int64
	a, b := newHistogram(), newHistogram()
	for i := 0; i < 100000; i++ {
		v := int64(r.ExpFloat64() * 250000) // a latency-like long tail, ns
		vs = append(vs, v)
		if i%2 == 0 {
			a.record(v)
		} else {
			b.record(v)
		}
	}
	a.merge(b)
	slices.Sort(vs)
	for _, q := range []float64{0.5, 0.9, 0.99, 0.999} {
		exact := vs[int(math.Ceil(q*float64(len(vs))))-1]
		got := a.percentile(q)
		if d := math.Abs(float64(got-exact)) / float64(exact); d > 1.0/subBuckets {
			t.Errorf("p%v = %d, exact %d (%.2f%% off)", q*100, got, exact, d*100)
		}
	}
	if a.percentile(1) != vs[len(vs)-1] {
		t.Errorf("p100 = %d, max %d", a.percentile(1), vs[len(vs)-1])
	}
	if newHistogram().percentile(0.5) != 0 {
		t.Error("empty histogram")
	}
}

func TestSetLatency(t *testing.T) {
	h := newHistogram()
	for i := 0; i < 10; i++ {
		h.record(100_000) // 100 µs
	}
	h.record(5_000_000)
	var r Result
	r.setLatency(h)
	if math.Abs(r.P50us-100) > 1 || math.Abs(r.P90us-100) > 1 || r.MaxUs != 5000 {
		t.Errorf("%+v", r)
	}
}
