// Package fifo is a first-in first-out queue of values that pops from the
// front in O(1) amortized time. Sessions and bridges keep their waiting
// messages in one: a plain slice that is shifted on every pop turns a long
// backlog into quadratic work.
package fifo

// FIFO is a queue; the zero value is empty and ready. It is not safe for
// concurrent use.
type FIFO[T any] struct {
	items []T
	head  int
}

// Len is the number of queued values.
func (q *FIFO[T]) Len() int { return len(q.items) - q.head }

// Push appends v at the back.
func (q *FIFO[T]) Push(v T) { q.items = append(q.items, v) }

// Front returns the value at the front; the queue must not be empty.
func (q *FIFO[T]) Front() T { return q.items[q.head] }

// At returns the i-th value from the front.
func (q *FIFO[T]) At(i int) T { return q.items[q.head+i] }

// Pop removes and returns the front value; the queue must not be empty.
func (q *FIFO[T]) Pop() T {
	var zero T
	v := q.items[q.head]
	q.items[q.head] = zero
	q.head++
	q.compact()
	return v
}

// PushFront puts vs, in order, before the current front.
func (q *FIFO[T]) PushFront(vs ...T) {
	if len(vs) <= q.head {
		q.head -= len(vs)
		copy(q.items[q.head:], vs)
		return
	}
	rest := q.items[q.head:]
	n := make([]T, 0, len(vs)+len(rest))
	q.items = append(append(n, vs...), rest...)
	q.head = 0
}

// Drain removes and returns every value, front first.
func (q *FIFO[T]) Drain() []T {
	out := q.items[q.head:]
	q.items, q.head = nil, 0
	return out
}

// compact releases the popped prefix once it is most of the array.
func (q *FIFO[T]) compact() {
	switch {
	case q.head == len(q.items):
		clear(q.items[:q.head])
		q.items, q.head = q.items[:0], 0
		if cap(q.items) > 1024 {
			q.items = nil // a backlog drained: let its array go
		}
	case q.head >= 1024 && q.head >= len(q.items)/2:
		n := copy(q.items, q.items[q.head:])
		clear(q.items[n:])
		q.items, q.head = q.items[:n], 0
	}
}
