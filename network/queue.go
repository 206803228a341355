package network

import (
	"sync"
	"time"
)

// fq is a link's outbound frame queue, drained by the link's writer in
// batches. take returns nil items after wait with nothing queued, which is
// when the writer sends a heart-beat.
type fq struct {
	mu     sync.Mutex
	items  []outFrame
	closed bool
	wake   chan struct{}
}

// outFrame is a pre-encoded control frame or a message forward encoded by
// the writer.
type outFrame struct {
	raw []byte
	fwd *forward
}

func newFQ() *fq { return &fq{wake: make(chan struct{}, 1)} }

func (q *fq) push(f outFrame) bool {
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return false
	}
	q.items = append(q.items, f)
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
	return true
}

func (q *fq) take(buf []outFrame, wait time.Duration) ([]outFrame, bool) {
	var timer *time.Timer
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	for {
		q.mu.Lock()
		if len(q.items) > 0 {
			items := q.items
			q.items = buf[:0]
			q.mu.Unlock()
			return items, true
		}
		closed := q.closed
		q.mu.Unlock()
		if closed {
			return nil, false
		}
		if timer == nil {
			timer = time.NewTimer(wait)
		}
		select {
		case <-q.wake:
		case <-timer.C:
			return nil, true
		}
	}
}

func (q *fq) close() {
	q.mu.Lock()
	q.closed = true
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// dedupe remembers the ids of recently received reliable messages, so a
// message resent after a broken link is not delivered twice.
type dedupe struct {
	mu   sync.Mutex
	set  map[string]struct{}
	ring []string
	next int
}

func newDedupe(n int) *dedupe {
	return &dedupe{set: make(map[string]struct{}, n), ring: make([]string, n)}
}

// seen records id and reports whether it was already there.
func (d *dedupe) seen(id string) bool {
	if d.has(id) {
		return true
	}
	d.add(id)
	return false
}

// has reports whether id was recorded.
func (d *dedupe) has(id string) bool {
	if id == "" {
		return false
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	_, ok := d.set[id]
	return ok
}

// add records id, forgetting the oldest one when the ring is full.
func (d *dedupe) add(id string) {
	if id == "" {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, ok := d.set[id]; ok {
		return
	}
	if old := d.ring[d.next]; old != "" {
		delete(d.set, old)
	}
	d.ring[d.next] = id
	d.next = (d.next + 1) % len(d.ring)
	d.set[id] = struct{}{}
}
