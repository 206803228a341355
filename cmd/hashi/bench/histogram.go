package bench

import (
	"math"
	"math/bits"
)

// histogram records non-negative durations (ns) in log-linear buckets: exact
// below 128, then 128 buckets per power of two, so a percentile is within
// 0.8% of the true value. Not safe for concurrent use; merge per-goroutine
// histograms instead.
type histogram struct {
	counts   []uint64
	n        uint64
	min, max int64
}

const (
	subBits    = 7
	subBuckets = 1 << subBits
)

func newHistogram() *histogram {
	return &histogram{counts: make([]uint64, (64-subBits)*subBuckets), min: math.MaxInt64}
}

func bucketOf(v int64) int {
	if v < subBuckets {
		return int(v)
	}
	e := bits.Len64(uint64(v)) - subBits - 1
	return (e+1)*subBuckets + int(v>>e) - subBuckets
}

// bucketRange returns the smallest and largest value of bucket i.
func bucketRange(i int) (lo, hi int64) {
	if i < subBuckets {
		return int64(i), int64(i)
	}
	e := i/subBuckets - 1
	m := int64(i%subBuckets + subBuckets)
	return m << e, (m+1)<<e - 1
}

func (h *histogram) record(v int64) {
	if v < 0 {
		v = 0
	}
	h.counts[bucketOf(v)]++
	h.n++
	h.min = min(h.min, v)
	h.max = max(h.max, v)
}

func (h *histogram) merge(o *histogram) {
	for i, c := range o.counts {
		h.counts[i] += c
	}
	h.n += o.n
	h.min = min(h.min, o.min)
	h.max = max(h.max, o.max)
}

// percentile returns the value at quantile q (0 < q <= 1): the middle of the
// bucket holding the ceil(q·n)-th smallest value, clamped to [min, max]. It
// returns 0 for an empty histogram.
func (h *histogram) percentile(q float64) int64 {
	if h.n == 0 {
		return 0
	}
	rank := uint64(math.Ceil(q * float64(h.n)))
	rank = max(1, min(rank, h.n))
	var seen uint64
	for i, c := range h.counts {
		seen += c
		if seen >= rank {
			lo, hi := bucketRange(i)
			return max(h.min, min(h.max, lo+(hi-lo)/2))
		}
	}
	return h.max
}
