package mqtt

import (
	"io"
	"net"
	"runtime"
	"testing"
	"time"
)

// The stall rule goes by the bytes the subscriber acknowledged: a count
// that grows between looks is a slow subscriber, one that stays put a
// stalled one, and without a probe a writer idle for qos0Stall is stalled.
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
	if !look() {
		t.Fatal("not stalled although nothing more was acknowledged")
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

// On Linux the probe reads the kernel's count for a real connection, and it
// grows as the peer receives.
func TestAckedProbeCountsReceivedBytes(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	client, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	server, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer server.Close()
	if runtime.GOOS != "linux" {
		t.Skip("the acknowledged-bytes probe is Linux only")
	}
	probe := ackedProbe(server)
	before, ok := probe()
	if !ok {
		t.Fatal("probe failed on a TCP connection")
	}
	if _, err := server.Write(make([]byte, 10000)); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 10000)
	if _, err := io.ReadFull(client, buf); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		after, _ := probe()
		if after-before >= 10000 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("acknowledged %d bytes after the peer read 10000", after-before)
		}
		time.Sleep(time.Millisecond)
	}
}
