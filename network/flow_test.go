package network

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashi-broker/hashi/broker"
	"github.com/hashi-broker/hashi/broker/dest"
)

func qos0Forward(size int) outFrame {
	return outFrame{msg: &broker.Message{Dest: dest.T("t"), Payload: make([]byte, size)}}
}

// fresh makes q's writer look as if it had just taken the queue.
func fresh(q *fq) {
	q.mu.Lock()
	q.progress = time.Now().UnixNano()
	q.mu.Unlock()
}

// A link queue past its QoS 0 high-water mark, with a writer that takes
// it, is congested until the writer takes the queue; reliable forwards
// and control frames never count toward it.
func TestLinkQueueQoS0Congestion(t *testing.T) {
	var hot atomic.Bool
	q := newFQ(&hot)
	for range qos0High {
		q.push(qos0Forward(1))
	}
	for range 3 * qos0High {
		q.push(outFrame{fwd: &forward{m: &broker.Message{Dest: dest.T("t"), QoS: 1}, seq: 1}})
		q.push(outFrame{raw: []byte("x")})
	}
	if ch := q.congestion(); ch != nil || hot.Load() {
		t.Fatal("congested at the high-water mark")
	}
	fresh(q) // pushing took long under -race: the writer counts as having just taken
	q.push(qos0Forward(1))
	ch := q.congestion()
	if ch == nil || !hot.Load() {
		t.Fatal("not congested past the high-water mark")
	}
	select {
	case <-ch:
		t.Fatal("released before the writer took the queue")
	default:
	}
	if items, ok := q.take(nil, time.Second); !ok || len(items) != qos0High+1+6*qos0High {
		t.Fatalf("took %d items", len(items))
	}
	select {
	case <-ch:
	default:
		t.Fatal("not released when the writer took the queue")
	}
	if q.congestion() != nil {
		t.Fatal("still congested after the writer took the queue")
	}
	// Bytes count too: one large message past qos0HighBytes.
	fresh(q)
	q.push(qos0Forward(qos0HighBytes + 1))
	if q.congestion() == nil {
		t.Fatal("not congested past qos0HighBytes")
	}
}

// A writer that has taken nothing for qos0Stall is stalled: it holds no
// publisher back, and past qos0Max the newest QoS 0 forwards are refused
// (the bridge counts them as dropped) while reliable ones are still kept.
func TestLinkQueueQoS0Stalled(t *testing.T) {
	q := newFQ(nil)
	for range qos0High {
		q.push(qos0Forward(1))
	}
	fresh(q)
	q.push(qos0Forward(1))
	if q.congestion() == nil {
		t.Fatal("not congested")
	}
	q.mu.Lock()
	q.progress -= int64(2 * qos0Stall) // the writer last took the queue long ago
	q.mu.Unlock()
	if q.congestion() != nil {
		t.Fatal("a stalled writer holds publishers back")
	}
	for q.push(qos0Forward(1)) {
	}
	q.mu.Lock()
	n := len(q.items)
	q.mu.Unlock()
	if n != qos0Max {
		t.Fatalf("refused after %d QoS 0 forwards, want %d", n, qos0Max)
	}
	if !q.push(outFrame{fwd: &forward{m: &broker.Message{Dest: dest.T("t"), QoS: 1}, seq: 9}}) {
		t.Fatal("a reliable forward was refused by the QoS 0 bound")
	}
	q2 := newFQ(nil)
	if !q2.push(qos0Forward(qos0MaxBytes)) || q2.push(qos0Forward(1)) {
		t.Fatal("the QoS 0 bound in bytes is not qos0MaxBytes")
	}
}
