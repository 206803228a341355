package bench

import (
	"math/bits"
	"sync/atomic"
	"time"
)

// tracker counts what one subscriber (or consumer) received. It is written
// by that connection's reader goroutine only; the atomics are read by the
// progress line and by the engine deciding when everything has arrived.
type tracker struct {
	ref   []byte // a payload of the expected size, for the pattern check
	epoch time.Time
	pubs  []seqSet

	received, duplicated, reordered, corrupt int64
	first, last                              int64 // arrival of the first and last message, ns since epoch
	lat                                      *histogram

	distinct  atomic.Int64 // intact-or-attributable distinct messages
	delivered atomic.Int64 // = received, for the progress line
	probed    atomic.Bool  // a warm-up probe arrived
}

// seqSet is the set of sequence numbers seen from one publisher.
type seqSet struct {
	bits []uint64
	max  int64 // highest sequence seen intact, -1 before the first
	n    int64 // distinct sequences
}

func newTracker(publishers int, ref []byte, epoch time.Time) *tracker {
	t := &tracker{ref: ref, epoch: epoch, pubs: make([]seqSet, publishers), lat: newHistogram(), first: -1}
	for i := range t.pubs {
		t.pubs[i].max = -1
	}
	return t
}

// add records one delivered payload that arrived at now (ns since epoch).
func (t *tracker) add(p []byte, now int64) {
	h, ok := parseHeader(p)
	if ok && h.pub == ProbeID {
		t.probed.Store(true)
		return
	}
	t.received++
	t.delivered.Add(1)
	if t.first < 0 {
		t.first = now
	}
	t.last = now
	if !ok || int(h.pub) >= len(t.pubs) || h.seq >= 1<<32 {
		t.corrupt++ // cannot be attributed: its message will count as lost
		return
	}
	s := &t.pubs[h.pub]
	w, b := h.seq/64, uint64(1)<<(h.seq%64)
	for uint64(len(s.bits)) <= w {
		s.bits = append(s.bits, 0)
	}
	if s.bits[w]&b != 0 {
		t.duplicated++
		if !bodyIntact(p, t.ref) {
			t.corrupt++
		}
		return
	}
	s.bits[w] |= b
	s.n++
	t.distinct.Add(1)
	if !bodyIntact(p, t.ref) {
		t.corrupt++
		return
	}
	if int64(h.seq) < s.max {
		t.reordered++
	} else {
		s.max = int64(h.seq)
	}
	t.lat.record(now - h.sent)
}

// counts returns the totals of one tracker against the number of messages
// each publisher sent. A sequence number at or beyond what its publisher
// sent, though its header checksum held, is counted corrupt.
func (t *tracker) counts(sent []int64) Counts {
	c := Counts{Received: t.received, Duplicated: t.duplicated, Reordered: t.reordered, Corrupt: t.corrupt}
	for i, n := range sent {
		in := countBelow(t.pubs[i].bits, n)
		c.Expected += n
		c.Lost += n - in
		c.Corrupt += t.pubs[i].n - in
	}
	return c
}

// sharedCounts merges the trackers of consumers that share one stream of
// messages (a queue): each message is expected once over all of them, and a
// message delivered to two consumers is a duplicate.
func sharedCounts(ts []*tracker, sent []int64) Counts {
	var c Counts
	for _, t := range ts {
		c.Received += t.received
		c.Duplicated += t.duplicated
		c.Reordered += t.reordered
		c.Corrupt += t.corrupt
	}
	for i, n := range sent {
		var union []uint64
		var sum int64
		for _, t := range ts {
			s := &t.pubs[i]
			sum += s.n
			for len(union) < len(s.bits) {
				union = append(union, 0)
			}
			for w, v := range s.bits {
				union[w] |= v
			}
		}
		all := countBelow(union, int64(len(union))*64)
		in := countBelow(union, n)
		c.Expected += n
		c.Duplicated += sum - all
		c.Lost += n - in
		c.Corrupt += all - in
	}
	return c
}

// countBelow counts the set bits below n.
func countBelow(set []uint64, n int64) int64 {
	var c int64
	for w, v := range set {
		lo := int64(w) * 64
		if lo >= n {
			break
		}
		if n-lo < 64 {
			v &= 1<<uint(n-lo) - 1
		}
		c += int64(bits.OnesCount64(v))
	}
	return c
}

// Counts are the delivery numbers of a run (see the package comment).
type Counts struct {
	Expected   int64 `json:"expected"`
	Received   int64 `json:"received"`
	Lost       int64 `json:"lost"`
	Duplicated int64 `json:"duplicated"`
	Reordered  int64 `json:"reordered"`
	Corrupt    int64 `json:"corrupt"`
}

func (c *Counts) add(o Counts) {
	c.Expected += o.Expected
	c.Received += o.Received
	c.Lost += o.Lost
	c.Duplicated += o.Duplicated
	c.Reordered += o.Reordered
	c.Corrupt += o.Corrupt
}
