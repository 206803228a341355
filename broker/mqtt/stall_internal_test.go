package mqtt

import (
	"testing"
	"time"
)

// The stall rule goes by the bytes the subscriber acknowledged: a count
// that grows between looks is a slow subscriber, one that stays put for
// ackStall a stalled one, and without a probe a writer idle for qos0Stall
// is stalled.
func TestStallRuleFollowsAckedBytes(t *testing.T) {
	var acked uint64
	q := newOutq(func() {})
	q.running = true
	q.acked = func() (uint64, bool) { return acked, true }
	look := func() bool {
		t.Helper()
		q.mu.Lock()
		defer q.mu.Unlock()
		// As if the writer last made progress, and the rule last looked,
		// long ago.
		q.progress = time.Now().Add(-2 * qos0Stall).UnixNano()
		q.probedAt = 0
		return q.stalled()
	}
	if look() {
		t.Fatal("stalled at the first look, with nothing to compare")
	}
	for i := range 5 {
		acked += 64 << 10
		if look() {
			t.Fatalf("look %d: stalled although the subscriber acknowledged 64 KiB more", i)
		}
	}
	// Nothing more acknowledged: slow, until that has lasted ackStall (a
	// delayed ACK may hold a reader's window update back for 200 ms).
	if look() {
		t.Fatal("stalled as soon as one look found nothing more acknowledged")
	}
	q.mu.Lock()
	q.ackedAt -= int64(ackStall)
	q.mu.Unlock()
	if !look() {
		t.Fatal("not stalled although nothing more was acknowledged for ackStall")
	}
	acked++
	if look() {
		t.Fatal("still stalled after the subscriber acknowledged more")
	}
	q.mu.Lock()
	q.madeProgress(time.Now().UnixNano())
	stalled := q.stalled()
	q.mu.Unlock()
	if stalled {
		t.Fatal("stalled right after the writer made progress")
	}

	q.acked = nil
	if !look() {
		t.Fatal("without a probe, a writer idle for qos0Stall is not stalled")
	}
}
