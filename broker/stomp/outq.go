package stomp

import (
	"sync"
	"time"

	"github.com/hashi-broker/hashi/broker"
	"github.com/hashi-broker/hashi/broker/dest"
)

// outItem is one frame waiting for the writer: pre-encoded bytes, or a
// message delivery encoded by the writer.
type outItem struct {
	raw     []byte
	receipt string // a RECEIPT for this receipt-id

	msg      *broker.Message
	sub      *subscription
	tag      uint64 // queue delivery tag (0 for topics)
	redeliv  bool
	topicSub *broker.Subscription // for drop accounting on topics
	queue    dest.Destination     // the queue a delivery came from
}

// outq is a connection's outbound queue. Topic deliveries beyond the
// subscription's pending limit evict the oldest queued topic delivery (the
// constantPendingMessageLimitStrategy); queue deliveries are bounded by the
// consumer's prefetch; other frames are always queued.
type outq struct {
	mu     sync.Mutex
	items  []outItem
	head   int
	topic  int
	closed bool
	wake   chan struct{}
}

func newOutq() *outq { return &outq{wake: make(chan struct{}, 1)} }

func (q *outq) signal() {
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

func (q *outq) push(it outItem) bool {
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return false
	}
	q.items = append(q.items, it)
	q.mu.Unlock()
	q.signal()
	return true
}

// pushTopic queues a topic delivery, evicting the oldest queued topic
// delivery once limit of them wait. It reports how many were dropped.
func (q *outq) pushTopic(it outItem, limit int) int {
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return 1
	}
	dropped := 0
	if limit > 0 && q.topic >= limit {
		for j := q.head; j < len(q.items); j++ {
			old := q.items[j]
			if old.topicSub == nil {
				continue
			}
			old.topicSub.CountDropped(1)
			copy(q.items[q.head+1:j+1], q.items[q.head:j])
			q.items[q.head] = outItem{}
			q.head++
			q.topic--
			dropped++
			break
		}
	}
	q.items = append(q.items, it)
	q.topic++
	q.mu.Unlock()
	q.signal()
	return dropped
}

// take returns everything queued, waiting at most wait (0 = forever). ok is
// false once the queue is closed and drained.
func (q *outq) take(buf []outItem, wait time.Duration) (items []outItem, ok bool) {
	var timer *time.Timer
	for {
		q.mu.Lock()
		if len(q.items) > q.head {
			items = q.items[q.head:]
			q.items, q.head, q.topic = buf[:0], 0, 0
			q.mu.Unlock()
			if timer != nil {
				timer.Stop()
			}
			return items, true
		}
		closed := q.closed
		q.mu.Unlock()
		if closed {
			return nil, false
		}
		if wait <= 0 {
			<-q.wake
			continue
		}
		if timer == nil {
			timer = time.NewTimer(wait)
		}
		select {
		case <-q.wake:
		case <-timer.C:
			return nil, true // idle: time for a heart-beat
		}
	}
}

func (q *outq) close() {
	q.mu.Lock()
	q.closed = true
	q.mu.Unlock()
	q.signal()
}
