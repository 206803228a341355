package bench

import (
	"testing"
	"time"
)

func msg(ref []byte, pub uint32, seq uint64) []byte {
	p := append([]byte(nil), ref...)
	putHeader(p, header{pub: pub, seq: seq, sent: 1000})
	return p
}

func TestPayloadHeader(t *testing.T) {
	ref := newPayload(64)
	p := msg(ref, 7, 1<<33)
	h, ok := parseHeader(p)
	if !ok || h.pub != 7 || h.seq != 1<<33 || h.sent != 1000 || !bodyIntact(p, ref) {
		t.Fatalf("%+v %v", h, ok)
	}
	for i := 0; i < HeaderLen; i++ {
		q := append([]byte(nil), p...)
		q[i] ^= 0x10
		if _, ok := parseHeader(q); ok {
			t.Errorf("flipping header byte %d not detected", i)
		}
	}
	q := append([]byte(nil), p...)
	q[40] ^= 1
	if bodyIntact(q, ref) || bodyIntact(p[:63], ref) {
		t.Error("body damage not detected")
	}
}

// TestTrackerCounts feeds a hand-made stream and checks every counter.
func TestTrackerCounts(t *testing.T) {
	ref := newPayload(48)
	tr := newTracker(2, ref, time.Now())
	body := func(p []byte) []byte { p[len(p)-1] ^= 0xFF; return p }
	stream := [][]byte{
		msg(ref, ProbeID, 0), // ignored
		msg(ref, 0, 0),
		msg(ref, 0, 2),
		msg(ref, 0, 1), // reordered
		msg(ref, 0, 2), // duplicate
		msg(ref, 1, 0),
		body(msg(ref, 1, 1)),      // corrupt body: delivered, counted corrupt
		append(msg(ref, 1, 2), 0), // wrong length: corrupt
		msg(ref, 1, 4),
		msg(ref, 1, 3),       // reordered
		msg(ref, 5, 0),       // unknown publisher: corrupt, unattributed
		{1, 2, 3},            // too short: corrupt
		body(msg(ref, 0, 0)), // duplicate and corrupt
	}
	for i, p := range stream {
		tr.add(p, int64(2000+i))
	}
	// Publisher 0 sent 4 (seq 3 lost), publisher 1 sent 6 (seq 5 lost).
	c := tr.counts([]int64{4, 6})
	want := Counts{Expected: 10, Received: 12, Lost: 2, Duplicated: 2, Reordered: 2, Corrupt: 5}
	if c != want {
		t.Errorf("counts %+v, want %+v", c, want)
	}
	// Had publisher 1 sent only 4, its seq 4 could not be genuine.
	if c := tr.counts([]int64{4, 4}); c.Corrupt != 6 || c.Lost != 1 {
		t.Errorf("counts against fewer sent: %+v", c)
	}
	if !tr.probed.Load() || tr.distinct.Load() != 8 || tr.delivered.Load() != 12 {
		t.Errorf("probed %v distinct %d delivered %d", tr.probed.Load(), tr.distinct.Load(), tr.delivered.Load())
	}
	if tr.lat.n != 6 || tr.lat.min != 1001 { // intact first copies: 0/0 0/2 0/1 1/0 1/4 1/3
		t.Errorf("latency samples %d, min %d", tr.lat.n, tr.lat.min)
	}
}

// TestSharedCounts: queue consumers share one expectation.
func TestSharedCounts(t *testing.T) {
	ref := newPayload(32)
	a, b := newTracker(1, ref, time.Now()), newTracker(1, ref, time.Now())
	for _, s := range []uint64{0, 2, 4, 5} {
		a.add(msg(ref, 0, s), 1)
	}
	for _, s := range []uint64{1, 3, 5, 200} { // 5 went to both; 200 beyond sent
		b.add(msg(ref, 0, s), 1)
	}
	c := sharedCounts([]*tracker{a, b}, []int64{8})
	// 0-5 arrived, 5 twice; 6 and 7 are lost; 200 was never sent.
	want := Counts{Expected: 8, Received: 8, Lost: 2, Duplicated: 1, Corrupt: 1}
	if c != want {
		t.Errorf("%+v, want %+v", c, want)
	}
}
