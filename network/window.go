package network

import "slices"

// window holds a bridge's reliable forwards in flight, in the order they
// were sent. Within a link that is the order of their sequence numbers
// (forwards resent after a link went down keep theirs and go first, and
// new ones take higher numbers), so an acknowledgement is found at the
// front, or else by binary search; acknowledged slots stay nil until the
// front passes them. A map keyed by sequence number cost the sending broker
// 9% of its CPU at QoS 1 (pprof).
type window struct {
	seqs []uint64
	fs   []*forward // nil once acknowledged
	head int        // slots before head are all acknowledged
	n    int        // forwards in flight
}

// len is the number of forwards in flight.
func (w *window) len() int { return w.n }

// add puts f, sent with f.seq, in flight.
func (w *window) add(f *forward) {
	if k := len(w.seqs); k > w.head && f.seq <= w.seqs[k-1] {
		// Not after the others (not expected): keep the order.
		i, found := slices.BinarySearch(w.seqs[w.head:], f.seq)
		i += w.head
		if found {
			if w.fs[i] == nil {
				w.n++
			}
			w.fs[i] = f
			return
		}
		w.seqs = slices.Insert(w.seqs, i, f.seq)
		w.fs = slices.Insert(w.fs, i, f)
		w.n++
		return
	}
	w.seqs = append(w.seqs, f.seq)
	w.fs = append(w.fs, f)
	w.n++
}

// remove takes the forward sent with seq out of flight and returns it, or
// nil when none is in flight with seq.
func (w *window) remove(seq uint64) *forward {
	live := w.seqs[w.head:]
	if len(live) == 0 {
		return nil
	}
	i, found := 0, live[0] == seq
	if !found {
		i, found = slices.BinarySearch(live, seq)
		if !found {
			return nil
		}
	}
	i += w.head
	f := w.fs[i]
	if f == nil {
		return nil
	}
	w.fs[i] = nil
	w.n--
	for w.head < len(w.fs) && w.fs[w.head] == nil {
		w.head++
	}
	switch {
	case w.head == len(w.fs):
		w.seqs, w.fs, w.head = w.seqs[:0], w.fs[:0], 0
	case w.head >= 1024 && 2*w.head >= len(w.fs):
		// Keep the slices from growing when the front never empties.
		k := copy(w.seqs, w.seqs[w.head:])
		copy(w.fs, w.fs[w.head:])
		clear(w.fs[k:])
		w.seqs, w.fs, w.head = w.seqs[:k], w.fs[:k], 0
	}
	return f
}

// drain returns the forwards in flight, in sequence order, and empties w.
func (w *window) drain() []*forward {
	var out []*forward
	for _, f := range w.fs[w.head:] {
		if f != nil {
			out = append(out, f)
		}
	}
	clear(w.fs)
	*w = window{seqs: w.seqs[:0], fs: w.fs[:0]}
	return out
}
