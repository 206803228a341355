package mqtt_test

import (
	"fmt"
	"net"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/hashi-broker/hashi/broker/mqtt/packet"
	"github.com/hashi-broker/hashi/broker/server/servertest"
)

// pendingPolicy limits what may wait for a slow QoS 0 subscriber: topic
// prefetch + constantPendingMessageLimitStrategy limit = 200 messages.
const pendingPolicy = `<destinationPolicy><policyMap><policyEntries>
  <policyEntry topic="&gt;" topicPrefetch="100">
    <pendingMessageLimitStrategy><constantPendingMessageLimitStrategy limit="100"/></pendingMessageLimitStrategy>
  </policyEntry>
</policyEntries></policyMap></destinationPolicy>`

// dialSmallBuffer connects with a small receive buffer, so that a client
// that stops reading makes the server's writes block quickly.
func (b *testBroker) dialSmallBuffer(v byte) *client {
	b.t.Helper()
	d := net.Dialer{Timeout: ioTimeout, Control: func(_, _ string, rc syscall.RawConn) error {
		var err error
		rc.Control(func(fd uintptr) { err = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096) })
		return err
	}}
	nc, err := d.Dial("tcp", b.addr)
	if err != nil {
		b.t.Fatal(err)
	}
	b.t.Cleanup(func() { nc.Close() })
	r := packet.NewReader(nc, 64*1024)
	r.SetVersion(v)
	return &client{t: b.t, nc: nc, r: r, v: v}
}

// smallBufferSubscriber connects id with a 4 KiB receive buffer and
// subscribes it to filter at QoS 0.
func (b *testBroker) smallBufferSubscriber(id, filter string) *client {
	b.t.Helper()
	c := b.dialSmallBuffer(packet.V311)
	c.handshake(&packet.Connect{ClientID: id, CleanStart: true})
	c.sub(filter, 0)
	return c
}

// A subscriber that never reads does not hold back a fast one on the same
// topic: the fast one gets every message, the slow one's excess is dropped
// and counted, and what waits for it stays under the pending limit (the
// slow-consumer policy in outq.go).
func TestSlowSubscriberDoesNotStallFast(t *testing.T) {
	t.Parallel()
	b := startBroker(t, pendingPolicy)
	slow := b.smallBufferSubscriber("slow", "firehose")
	fast := b.connect311("fast", true)
	fast.sub("firehose", 0)
	pub := b.connect311("pub", true)

	const n, size = 3000, 4096
	payload := strings.Repeat("x", size-8)
	var fastGot atomic.Int64
	received := make(chan int, 1)
	go func() {
		got := 0
		for got < n {
			p, err := fast.next(ioTimeout)
			if err != nil {
				break
			}
			if pp, ok := p.(*packet.Publish); ok && string(pp.Payload[8:]) == payload {
				got++
				fastGot.Store(int64(got))
			}
		}
		received <- got
	}()
	start := time.Now()
	for i := range n {
		pub.send(&packet.Publish{Topic: "firehose", Payload: []byte(fmt.Sprintf("%08d%s", i, payload))})
		if i%50 == 49 {
			// Publish as fast as the fast subscriber reads, so its own
			// backlog stays under the pending limit even on a loaded machine;
			// a stalled broker shows up here as a timeout.
			servertest.WaitFor(t, ioTimeout, fmt.Sprintf("fast subscriber to reach %d", i-100), func() bool { return fastGot.Load() >= int64(i-100) })
		}
	}
	pub.ping()
	if got := <-received; got != n {
		t.Fatalf("fast subscriber got %d of %d messages", got, n)
	}
	t.Logf("%d x %d B to the fast subscriber in %v", n, size, time.Since(start))

	info, ok := b.Srv.MQTT().Session("slow")
	if !ok || !info.Connected {
		t.Fatalf("slow session %+v", info)
	}
	if info.Dropped == 0 {
		t.Error("nothing counted as dropped for the slow subscriber")
	}
	if info.Queued > 200 {
		t.Errorf("%d messages queued for the slow subscriber, above the pending limit 200", info.Queued)
	}
	if b.Srv.Core().Stats().Dropped.Load() < info.Dropped {
		t.Errorf("broker dropped counter %d < session's %d", b.Srv.Core().Stats().Dropped.Load(), info.Dropped)
	}
	t.Logf("slow subscriber: %d dropped, %d queued", info.Dropped, info.Queued)

	// The slow subscriber still works once it reads: what it gets is the
	// oldest messages that reached its socket plus the newest that waited,
	// never more than was published.
	got := len(slow.ping())
	if uint64(got)+info.Dropped != n {
		t.Errorf("slow subscriber: %d received + %d dropped != %d published", got, info.Dropped, n)
	}
}
