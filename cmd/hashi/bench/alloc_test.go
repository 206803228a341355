package bench

import (
	"io"
	"net"
	"testing"
	"time"

	"github.com/hashi-broker/hashi/broker/mqtt/packet"
)

// pipeConn returns an mqttConn whose writes go to a goroutine that discards
// them.
func pipeConn(tb testing.TB) *mqttConn {
	a, b := net.Pipe()
	done := make(chan struct{})
	go func() {
		defer close(done)
		io.Copy(io.Discard, b)
	}()
	m := &mqttConn{c: a, out: newOutbox(a, outboxPending), version: packet.V311, done: make(chan struct{})}
	tb.Cleanup(func() {
		m.out.close(false)
		a.Close()
		<-done
	})
	return m
}

// TestHotPathsDoNotAllocate: publishing, parsing a PUBLISH and counting it
// allocate nothing per message once warmed up.
func TestHotPathsDoNotAllocate(t *testing.T) {
	ref := newPayload(64)
	m := pipeConn(t)
	buf := newPayload(64)
	var seq uint64
	publish := func() {
		putHeader(buf, header{pub: 0, seq: seq, sent: 1})
		seq++
		if err := m.publish("hashi-bench/x", buf, 0); err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; i < 10000; i++ {
		publish()
	}
	if n := testing.AllocsPerRun(10000, publish); n > 0.01 {
		t.Errorf("publish: %.3f allocations per message", n)
	}

	frame, _ := packet.AppendPublish(nil, packet.V5, "hashi-bench/x", msg(ref, 0, 3), 1, false, false, 9, nil)
	tr := newTracker(1, ref, time.Now())
	tr.add(msg(ref, 0, 100000), 1) // grow the bitmap once
	n := testing.AllocsPerRun(10000, func() {
		_, _, payload, err := publishParts(frame, 2, packet.V5)
		if err != nil {
			t.Fatal(err)
		}
		tr.add(payload, 2)
	})
	if n > 0 {
		t.Errorf("parse and count: %.1f allocations per message", n)
	}
}

func BenchmarkPublish(b *testing.B) {
	m := pipeConn(b)
	buf := newPayload(64)
	b.ReportAllocs()
	b.SetBytes(64)
	for i := 0; i < b.N; i++ {
		putHeader(buf, header{pub: 0, seq: uint64(i), sent: 1})
		if err := m.publish("hashi-bench/x", buf, 0); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkTrackerAdd(b *testing.B) {
	ref := newPayload(64)
	tr := newTracker(1, ref, time.Now())
	p := newPayload(64)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		putHeader(p, header{pub: 0, seq: uint64(i), sent: 1})
		tr.add(p, 2)
	}
}
