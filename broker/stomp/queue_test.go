package stomp_test

import (
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/go-stomp/stomp/v3/frame"

	"github.com/hashi-broker/hashi/broker/dest"
	"github.com/hashi-broker/hashi/broker/server/servertest"
	wire "github.com/hashi-broker/hashi/broker/stomp/frame"
)

// ackHeaders are the headers that acknowledge m on a connection speaking v:
// the MESSAGE's ack header as id in 1.2, message-id and subscription before.
func ackHeaders(v string, m *frame.Frame) []string {
	if v == "1.2" {
		return []string{frame.Id, m.Header.Get(frame.Ack)}
	}
	return []string{frame.MessageId, m.Header.Get(frame.MessageId), frame.Subscription, m.Header.Get(frame.Subscription)}
}

// produce sends bodies to q from a fresh connection, each with a receipt.
func (b *testBroker) produce(t testing.TB, q string, bodies ...string) {
	t.Helper()
	p := b.connect(t)
	for _, s := range bodies {
		p.receipt(frame.SEND, []byte(s), frame.Destination, q)
	}
}

func numbered(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s%d", prefix, i+1)
	}
	return out
}

// What a consumer that dies leaves behind depends on its ack mode: client
// acks are cumulative, client-individual acks one message, auto needs none.
func TestAckModes(t *testing.T) {
	b := startBroker(t, "", "")
	for _, tc := range []struct {
		v, mode string
		ack     []int    // indexes of the messages acknowledged before dying
		back    []string // redelivered to the next consumer
	}{
		{"1.2", "client", []int{2}, []string{"m4", "m5"}},
		{"1.1", "client", []int{2}, []string{"m4", "m5"}},
		{"1.0", "client", []int{2}, []string{"m4", "m5"}},
		{"1.2", "client-individual", []int{2}, []string{"m1", "m2", "m4", "m5"}},
		{"1.1", "client-individual", []int{0, 4}, []string{"m2", "m3", "m4"}},
		{"1.2", "auto", nil, nil},
		{"1.0", "auto", nil, nil},
	} {
		t.Run(tc.v+"-"+tc.mode, func(t *testing.T) {
			q := "/queue/ack-" + tc.v + "-" + tc.mode
			c := b.connect(t, frame.AcceptVersion, tc.v)
			c.receipt(frame.SUBSCRIBE, nil, frame.Destination, q, frame.Id, "s", frame.Ack, tc.mode)
			b.produce(t, q, numbered("m", 5)...)
			ms := c.messages(5)
			if got := strings.Join(bodies(ms), ","); got != "m1,m2,m3,m4,m5" {
				t.Fatalf("got %s", got)
			}
			for _, m := range ms {
				_, hasAck := m.Header.Contains(frame.Ack)
				if want := tc.v == "1.2" && tc.mode != "auto"; hasAck != want {
					t.Fatalf("ack header present=%v in %v", hasAck, headers(m))
				}
			}
			for _, i := range tc.ack {
				c.receipt(frame.ACK, nil, ackHeaders(tc.v, ms[i])...)
			}
			c.nc.Close() // dies without DISCONNECT

			next := b.connect(t)
			next.receipt(frame.SUBSCRIBE, nil, frame.Destination, q, frame.Id, "n", frame.Ack, "client-individual")
			got := next.messages(len(tc.back))
			if strings.Join(bodies(got), ",") != strings.Join(tc.back, ",") {
				t.Fatalf("redelivered %q, want %q", bodies(got), tc.back)
			}
			for _, m := range got {
				if m.Header.Get("redelivered") != "true" {
					t.Fatalf("redelivery without redelivered:true: %v", headers(m))
				}
			}
			next.quiet("after redeliveries")
			st, _ := b.Srv.Core().QueueStats(dest.Q(strings.TrimPrefix(q, "/queue/")))
			if want := uint64(5 - len(tc.back)); st.Dequeued != want {
				t.Fatalf("dequeued %d, want %d", st.Dequeued, want)
			}
		})
	}
}

// NACK sends a message back for redelivery with redelivered:true; after six
// redeliveries it goes to ActiveMQ.DLQ.
func TestNackRedeliversThenDLQ(t *testing.T) {
	b := startBroker(t, "", "")
	for _, v := range []string{"1.1", "1.2"} {
		t.Run(v, func(t *testing.T) {
			q := "/queue/nack-" + v
			c := b.connect(t, frame.AcceptVersion, v)
			c.receipt(frame.SUBSCRIBE, nil, frame.Destination, q, frame.Id, "s", frame.Ack, "client-individual")
			b.produce(t, q, "poison")
			deliveries := 0
			for {
				fs := c.sync()
				if len(fs) == 0 {
					break
				}
				m := fs[0]
				deliveries++
				if got, want := m.Header.Get("redelivered") == "true", deliveries > 1; got != want {
					t.Fatalf("delivery %d: redelivered header %v", deliveries, headers(m))
				}
				c.receipt(frame.NACK, nil, ackHeaders(v, m)...)
				if deliveries > 10 {
					t.Fatal("never dead-lettered")
				}
			}
			if deliveries != 7 {
				t.Fatalf("delivered %d times before the DLQ, want 7 (1 + 6 redeliveries)", deliveries)
			}
			c.receipt(frame.UNSUBSCRIBE, nil, frame.Id, "s")
			c.receipt(frame.SUBSCRIBE, nil, frame.Destination, "/queue/ActiveMQ.DLQ", frame.Id, "dlq")
			if m := c.expect(frame.MESSAGE); string(m.Body) != "poison" {
				t.Fatalf("DLQ got %q", m.Body)
			}
			// Leave the DLQ to the next version's subscriber: a consumer
			// still there while this connection closes would share its
			// message.
			c.receipt(frame.UNSUBSCRIBE, nil, frame.Id, "dlq")
		})
	}
}

// SENDs in a transaction are invisible until COMMIT; ABORT discards them.
func TestTransactionSends(t *testing.T) {
	b := startBroker(t, "", "")
	cons := b.connect(t)
	cons.receipt(frame.SUBSCRIBE, nil, frame.Destination, "/queue/tx", frame.Id, "1")
	cons.receipt(frame.SUBSCRIBE, nil, frame.Destination, "/topic/tx", frame.Id, "2")
	p := b.connect(t)
	p.receipt(frame.BEGIN, nil, frame.Transaction, "t1")
	p.receipt(frame.SEND, []byte("q1"), frame.Destination, "/queue/tx", frame.Transaction, "t1")
	p.receipt(frame.SEND, []byte("t1"), frame.Destination, "/topic/tx", frame.Transaction, "t1")
	p.receipt(frame.SEND, []byte("outside"), frame.Destination, "/queue/tx")
	if m := cons.expect(frame.MESSAGE); string(m.Body) != "outside" {
		t.Fatalf("got %q before COMMIT", m.Body)
	}
	cons.quiet("before COMMIT")
	p.receipt(frame.COMMIT, nil, frame.Transaction, "t1")
	if got := bodies(cons.messages(2)); strings.Join(got, ",") != "q1,t1" {
		t.Fatalf("after COMMIT: %q", got)
	}

	p.receipt(frame.BEGIN, nil, frame.Transaction, "t2")
	p.receipt(frame.SEND, []byte("discarded"), frame.Destination, "/queue/tx", frame.Transaction, "t2")
	p.receipt(frame.ABORT, nil, frame.Transaction, "t2")
	p.send(frame.COMMIT, frame.Transaction, "t2", frame.Receipt, "gone")
	p.expectError("Invalid transaction id: t2")
	p.receipt(frame.SEND, []byte("after"), frame.Destination, "/queue/tx")
	if m := cons.expect(frame.MESSAGE); string(m.Body) != "after" {
		t.Fatalf("after ABORT got %q", m.Body)
	}
	cons.quiet("after ABORT")

	// A transaction left open when the connection dies is rolled back.
	p.receipt(frame.BEGIN, nil, frame.Transaction, "t3")
	p.receipt(frame.SEND, []byte("never"), frame.Destination, "/queue/tx", frame.Transaction, "t3")
	p.nc.Close()
	b.produce(t, "/queue/tx", "sentinel")
	if m := cons.expect(frame.MESSAGE); string(m.Body) != "sentinel" {
		t.Fatalf("open transaction leaked %q", m.Body)
	}
}

// Bodies with a content-length are read into one buffer the connection
// reuses: each message must keep its own copy, whether it waits in a queue,
// in a transaction or goes to a topic, and whatever its size.
func TestSendBodiesOutliveTheReadBuffer(t *testing.T) {
	b := startBroker(t, "", "")
	p := b.connect(t)
	sizes := []int{1, 5, 255, 256, 257, 4000, 3}
	var want []string
	var burst strings.Builder
	for i, n := range sizes {
		body := strings.Repeat(string(rune('a'+i)), n)
		want = append(want, body)
		hdr := []string{frame.Destination, "/queue/bodies", frame.ContentLength, strconv.Itoa(n)}
		if i == 2 || i == 5 {
			hdr = append(hdr, frame.Transaction, "tx")
		}
		f := frame.New(frame.SEND, hdr...)
		f.Body = []byte(body)
		burst.Write(wire.Append(nil, f, p.v))
	}
	// BEGIN first and COMMIT last, all in one write: every body is read
	// before anything is consumed.
	begin := wire.Append(nil, frame.New(frame.BEGIN, frame.Transaction, "tx"), p.v)
	commit := wire.Append(nil, frame.New(frame.COMMIT, frame.Transaction, "tx"), p.v)
	p.raw(string(begin) + burst.String() + string(commit))
	p.receipt(frame.SEND, []byte("end"), frame.Destination, "/queue/bodies", frame.ContentLength, "3")
	c := b.connect(t)
	c.receipt(frame.SUBSCRIBE, nil, frame.Destination, "/queue/bodies", frame.Id, "s")
	got := bodies(c.messages(len(sizes) + 1))
	// The transaction's two arrive at COMMIT, after the others.
	order := []string{want[0], want[1], want[3], want[4], want[6], want[2], want[5], "end"}
	for i := range order {
		if got[i] != order[i] {
			t.Fatalf("message %d: %d bytes %.10q..., want %d bytes %.10q...", i, len(got[i]), got[i], len(order[i]), order[i])
		}
	}
}

// ACKs pipelined in one write are settled together; a NACK or an ACK with
// a receipt among them is handled in its place, after the ones before it.
func TestPipelinedAcks(t *testing.T) {
	b := startBroker(t, "", "")
	b.produce(t, "/queue/piped", numbered("m", 10)...)
	c := b.connect(t)
	c.receipt(frame.SUBSCRIBE, nil, frame.Destination, "/queue/piped", frame.Id, "s", frame.Ack, "client-individual")
	ms := c.messages(10)
	frameFor := func(cmd string, i int, hdr ...string) string {
		return string(wire.Append(nil, frame.New(cmd, append(ackHeaders("1.2", ms[i]), hdr...)...), c.v))
	}
	c.raw(frameFor(frame.ACK, 0) + frameFor(frame.ACK, 1) + frameFor(frame.NACK, 3) +
		frameFor(frame.ACK, 2) + frameFor(frame.ACK, 4) + frameFor(frame.ACK, 6, frame.Receipt, "last"))
	// The NACKed m4 comes back at once, before the receipt of what
	// followed it.
	if m := c.expect(frame.MESSAGE); string(m.Body) != "m4" || m.Header.Get("redelivered") != "true" {
		t.Fatalf("after NACK: %q %v", m.Body, headers(m))
	}
	if r := c.expect(frame.RECEIPT); r.Header.Get(frame.ReceiptId) != "last" {
		t.Fatalf("receipt %v", headers(r))
	}
	if st, _ := b.Srv.Core().QueueStats(dest.Q("piped")); st.Dequeued != 5 {
		t.Fatalf("dequeued %d after 5 ACKs, want 5", st.Dequeued)
	}
	// An ACK and then UNSUBSCRIBE in one write: the ACK is settled first,
	// and only the unacknowledged ones go back to the queue.
	c.raw(frameFor(frame.ACK, 7) + string(wire.Append(nil, frame.New(frame.UNSUBSCRIBE, frame.Id, "s", frame.Receipt, "bye"), c.v)))
	c.expect(frame.RECEIPT)
	d := b.connect(t)
	d.receipt(frame.SUBSCRIBE, nil, frame.Destination, "/queue/piped", frame.Id, "s")
	if got := strings.Join(bodies(d.messages(4)), ","); got != "m4,m6,m9,m10" {
		t.Fatalf("left for the next consumer: %s", got)
	}
	d.quiet("nothing acknowledged comes back")
}

// An ACK in a transaction takes effect at COMMIT; ABORT redelivers what the
// transaction acknowledged.
func TestTransactionAcks(t *testing.T) {
	b := startBroker(t, "", "")
	st := func(name string) (inflight int, dequeued uint64) {
		s, _ := b.Srv.Core().QueueStats(dest.Q(name))
		return s.Inflight, s.Dequeued
	}
	c := b.connect(t)
	c.receipt(frame.SUBSCRIBE, nil, frame.Destination, "/queue/txack", frame.Id, "s", frame.Ack, "client-individual")
	b.produce(t, "/queue/txack", "a", "b")
	ms := c.messages(2)
	c.receipt(frame.BEGIN, nil, frame.Transaction, "t")
	c.receipt(frame.ACK, nil, append(ackHeaders("1.2", ms[0]), frame.Transaction, "t")...)
	if in, deq := st("txack"); in != 2 || deq != 0 {
		t.Fatalf("before COMMIT inflight=%d dequeued=%d, want 2, 0", in, deq)
	}
	c.receipt(frame.COMMIT, nil, frame.Transaction, "t")
	if in, deq := st("txack"); in != 1 || deq != 1 {
		t.Fatalf("after COMMIT inflight=%d dequeued=%d, want 1, 1", in, deq)
	}

	c.receipt(frame.BEGIN, nil, frame.Transaction, "u")
	c.receipt(frame.ACK, nil, append(ackHeaders("1.2", ms[1]), frame.Transaction, "u")...)
	c.receipt(frame.ABORT, nil, frame.Transaction, "u")
	m := c.expect(frame.MESSAGE)
	if string(m.Body) != "b" || m.Header.Get("redelivered") != "true" {
		t.Fatalf("after ABORT got %q %v", m.Body, headers(m))
	}
	c.receipt(frame.ACK, nil, ackHeaders("1.2", m)...)
	if in, deq := st("txack"); in != 0 || deq != 2 {
		t.Fatalf("at the end inflight=%d dequeued=%d, want 0, 2", in, deq)
	}
}

// activemq.prefetchSize bounds the unacknowledged messages a subscription
// holds; an ACK makes room for the next.
func TestQueuePrefetch(t *testing.T) {
	b := startBroker(t, "", "")
	c := b.connect(t)
	c.receipt(frame.SUBSCRIBE, nil, frame.Destination, "/queue/pf", frame.Id, "s",
		frame.Ack, "client-individual", "activemq.prefetchSize", "2")
	other := b.connect(t)
	other.receipt(frame.SUBSCRIBE, nil, frame.Destination, "/queue/pf", frame.Id, "o",
		frame.Ack, "client-individual", "activemq.prefetchSize", "1")
	b.produce(t, "/queue/pf", numbered("m", 6)...)
	ms := c.messages(2)
	c.quiet("beyond prefetch 2")
	om := other.messages(1)
	other.quiet("beyond prefetch 1")
	c.receipt(frame.ACK, nil, ackHeaders("1.2", ms[0])...)
	next := c.expect(frame.MESSAGE)
	c.quiet("after one ACK")
	seen := map[string]bool{}
	for _, m := range append(append(ms, om...), next) {
		if seen[string(m.Body)] {
			t.Fatalf("%s delivered twice", m.Body)
		}
		seen[string(m.Body)] = true
	}
	if st, _ := b.Srv.Core().QueueStats(dest.Q("pf")); st.Pending != 2 {
		t.Fatalf("pending %d, want 2", st.Pending)
	}
}

// Hashi has no selector engine: a SUBSCRIBE with a selector is refused with
// an ERROR saying so, and no subscription is created.
func TestSelectorRejected(t *testing.T) {
	b := startBroker(t, "", "")
	c := b.connect(t)
	c.send(frame.SUBSCRIBE, frame.Destination, "/queue/sel", frame.Id, "1", "selector", "color = 'red'", frame.Receipt, "sub")
	f := c.expectError("selector")
	if f.Header.Get(frame.ReceiptId) != "sub" {
		t.Fatalf("ERROR %v", headers(f))
	}
	b.produce(t, "/queue/sel", "red")
	c.quiet("subscription with a selector")
	// The connection is still usable, and the id is free.
	c.receipt(frame.SUBSCRIBE, nil, frame.Destination, "/queue/sel", frame.Id, "1")
	if m := c.expect(frame.MESSAGE); string(m.Body) != "red" {
		t.Fatalf("got %q", m.Body)
	}
}

// In STOMP 1.1 one message can reach two subscriptions of a connection
// (two virtual-topic consumer queues); the ACK's subscription header says
// which delivery it settles.
func TestAckBySubscriptionAndMessageID(t *testing.T) {
	b := startBroker(t, "", "")
	c := b.connect(t, frame.AcceptVersion, "1.1")
	for _, g := range []string{"A", "B"} {
		c.receipt(frame.SUBSCRIBE, nil, frame.Destination, "/queue/Consumer."+g+".VirtualTopic.Orders",
			frame.Id, g, frame.Ack, "client-individual")
	}
	b.produce(t, "/topic/VirtualTopic.Orders", "order-1")
	ms := c.messages(2)
	if ms[0].Header.Get(frame.MessageId) != ms[1].Header.Get(frame.MessageId) {
		t.Logf("message ids differ: %s %s", ms[0].Header.Get(frame.MessageId), ms[1].Header.Get(frame.MessageId))
	}
	for _, m := range ms {
		c.receipt(frame.ACK, nil, ackHeaders("1.1", m)...)
	}
	for _, g := range []string{"A", "B"} {
		if st, _ := b.Srv.Core().QueueStats(dest.Q("Consumer." + g + ".VirtualTopic.Orders")); st.Dequeued != 1 || st.Inflight != 0 {
			t.Errorf("queue %s: dequeued %d inflight %d after both ACKs", g, st.Dequeued, st.Inflight)
		}
	}
}

// A queue delivery to a 1.2 client names the message as a 1.1 client
// sees it: the writer formats a 1.2 delivery's message-id without building
// the string, escaped like any header value.
func TestMessageIDSameAcrossVersions(t *testing.T) {
	b := startBroker(t, "", "")
	c12 := b.connect(t)
	c12.receipt(frame.SUBSCRIBE, nil, frame.Destination, "/queue/ids", frame.Id, "s", frame.Ack, "client-individual")
	b.produce(t, "/queue/ids", "one")
	first := c12.messages(1)[0]
	c12.nc.Close() // unacknowledged: back to the queue
	c11 := b.connect(t, frame.AcceptVersion, "1.1")
	c11.receipt(frame.SUBSCRIBE, nil, frame.Destination, "/queue/ids", frame.Id, "s", frame.Ack, "client-individual")
	again := c11.messages(1)[0]
	id := first.Header.Get(frame.MessageId)
	if !strings.HasPrefix(id, "ID:") || id != again.Header.Get(frame.MessageId) {
		t.Fatalf("message-id %q to 1.2, %q to 1.1", id, again.Header.Get(frame.MessageId))
	}
}

// Deliveries still waiting in a connection's outbound queue when the
// subscription ends go back to the queue; with ack:auto they must not be
// written to the old subscriber as well (the message would be consumed
// twice). With client acks every unacknowledged one comes back.
func TestUnsubscribeWithDeliveriesInFlight(t *testing.T) {
	for _, mode := range []string{"auto", "client-individual"} {
		t.Run(mode, func(t *testing.T) { testUnsubscribeInFlight(t, mode) })
	}
}

func testUnsubscribeInFlight(t *testing.T, mode string) {
	b := startBroker(t, "", "")
	// More than the socket buffers hold (the kernel's send buffer grows
	// to 4 MiB), so the slow consumer's writer blocks.
	const n, size = 160, 64 << 10
	slow := b.connect(t)
	slow.receipt(frame.SUBSCRIBE, nil, frame.Destination, "/queue/inflight", frame.Id, "s", frame.Ack, mode)
	p := b.connect(t)
	for i := 0; i < n; i++ {
		body := fmt.Sprintf("%03d", i) + strings.Repeat("x", size)
		p.receipt(frame.SEND, []byte(body), frame.Destination, "/queue/inflight")
	}
	// The slow consumer reads nothing, so its writer is stuck on a full
	// socket with most deliveries still queued.
	slow.send(frame.UNSUBSCRIBE, frame.Id, "s", frame.Receipt, "unsub")
	servertest.WaitFor(t, ioTimeout, "consumer detached", func() bool {
		st, _ := b.Srv.Core().QueueStats(dest.Q("inflight"))
		return st.Consumers == 0
	})
	next := b.connect(t)
	next.receipt(frame.SUBSCRIBE, nil, frame.Destination, "/queue/inflight", frame.Id, "n")
	seen := map[string]string{}
	for _, m := range next.sync() {
		seen[string(m.Body[:3])] = "next"
	}
	old := 0
	for {
		f, err := slow.read()
		if err != nil {
			t.Fatalf("slow consumer: %v", err)
		}
		if f.Command == frame.RECEIPT {
			break
		}
		old++
		if mode != "auto" {
			continue // unacknowledged: redelivered to next as well, rightly
		}
		if who := seen[string(f.Body[:3])]; who != "" {
			t.Errorf("message %s delivered to the old subscription and to %s", f.Body[:3], who)
		}
		seen[string(f.Body[:3])] = "old"
	}
	if old == n {
		t.Fatalf("the writer was not held back by the unread socket: test proves nothing")
	}
	if len(seen) != n {
		t.Fatalf("%d distinct messages delivered (%d to the old subscription), want %d", len(seen), old, n)
	}
}
