package network

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/hashi-broker/hashi/broker"
	"github.com/hashi-broker/hashi/broker/dest"
	"github.com/hashi-broker/hashi/config"
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

// A writer that has taken nothing for linkStall is stalled: it holds no
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
	q.progress -= int64(2 * linkStall) // the writer last took the queue long ago
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

// slowSubscriber takes one message every interval and reports itself
// congested while anything waits, as a draining MQTT subscriber with a
// tiny pending limit would.
type slowSubscriber struct {
	mu      sync.Mutex
	queue   []string
	got     []string
	drained chan struct{} // closed when the consumer takes a message
}

func newSlowSubscriber(t *testing.T, interval time.Duration) *slowSubscriber {
	s := &slowSubscriber{drained: make(chan struct{})}
	stop := make(chan struct{})
	t.Cleanup(func() { close(stop) })
	go func() {
		tick := time.NewTicker(interval)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
			}
			s.mu.Lock()
			if len(s.queue) > 0 {
				s.got = append(s.got, s.queue[0])
				s.queue = s.queue[1:]
				close(s.drained)
				s.drained = make(chan struct{})
			}
			s.mu.Unlock()
		}
	}()
	return s
}

func (s *slowSubscriber) Deliver(_ []*broker.Subscription, m *broker.Message) {
	s.mu.Lock()
	s.queue = append(s.queue, string(m.Payload))
	s.mu.Unlock()
}

func (s *slowSubscriber) Congested(*broker.Message) <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.queue) == 0 {
		return nil
	}
	return s.drained
}

func (s *slowSubscriber) received() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.got...)
}

// A receiver that waits for a slow local subscriber message after message
// for many heart-beats is not taken for a dead link: it keeps the link up
// and the subscriber gets every QoS 0 message, in order.
func TestNetworkQoS0WaitingReceiverKeepsLinkUp(t *testing.T) {
	shortHeartBeat(t, 100*time.Millisecond)
	b := newNode(t, "b")
	a := newNode(t, "a", connector("a_to_b", false, "tcp://"+b.addr))
	sub := newSlowSubscriber(t, time.Millisecond)
	b.b.Subscribe(&broker.Subscription{Dest: dest.T("slow.>"), Owner: sub, ClientID: "slow"})
	a.waitDemand("a_to_b", 1)
	first, _ := a.bridge("a_to_b")
	const n = 2000
	var want []string
	for i := range n {
		want = append(want, fmt.Sprintf("%04d-%s", i, strings.Repeat("x", 40)))
		a.publish("slow.t", want[i], 0)
	}
	waitUntil(t, 30*time.Second, "every message at the slow subscriber", func() bool { return len(sub.received()) >= n })
	if got := sub.received(); !slices.Equal(got, want) {
		t.Fatalf("the subscriber got %d messages, not the %d sent in order", len(got), n)
	}
	if in, _ := a.bridge("a_to_b"); !in.Since.Equal(first.Since) || in.Dropped != 0 {
		t.Fatalf("the link went down while the receiver waited (up since %v, now %v; %d dropped)", first.Since, in.Since, in.Dropped)
	}
}

// gatedSubscriber queues what it is given and takes nothing until the gate
// opens; it reports itself congested while anything waits. It remembers
// the longest its queue grew.
type gatedSubscriber struct {
	mu      sync.Mutex
	queue   []string
	got     []string
	most    int
	open    bool
	drained chan struct{}
}

func (s *gatedSubscriber) Deliver(_ []*broker.Subscription, m *broker.Message) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.open {
		s.got = append(s.got, string(m.Payload))
		return
	}
	s.queue = append(s.queue, string(m.Payload))
	s.most = max(s.most, len(s.queue))
}

func (s *gatedSubscriber) Congested(*broker.Message) <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.queue) == 0 {
		return nil
	}
	return s.drained
}

func (s *gatedSubscriber) release() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.open = true
	s.got = append(s.got, s.queue...)
	s.queue = nil
	close(s.drained)
}

func (s *gatedSubscriber) state() (queued, got, most int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.queue), len(s.got), s.most
}

// Reliable forwards published here into a congested subscriber are
// acknowledged only once it drained, message by message or in a run: the
// peer's window, not this broker's subscriber, holds the backlog; then
// everything arrives in order and the window empties.
func TestNetworkReliableAcksWaitForCongestedReceiver(t *testing.T) {
	b := newNode(t, "b")
	nc := connector("a_to_b", false, "tcp://"+b.addr)
	nc.PrefetchSize = 100
	a := newNode(t, "a", nc)
	sub := &gatedSubscriber{drained: make(chan struct{})}
	b.b.Subscribe(&broker.Subscription{Dest: dest.T("doors.>"), Owner: sub, QoS: 1, ClientID: "gated"})
	a.waitDemand("a_to_b", 1)
	const n = 1000
	var want []string
	for i := range n {
		want = append(want, fmt.Sprintf("door-%04d", i))
		a.publish("doors.lock-42.state", want[i], 1)
	}
	waitUntil(t, 10*time.Second, "the window's 100 messages at the gated subscriber", func() bool { q, _, _ := sub.state(); return q >= 100 })
	a.waitBridge("a_to_b", func(in Info) bool { return in.Inflight == 100 && in.Pending == n-100 }, "a full window, the rest pending")
	sub.release()
	waitUntil(t, 10*time.Second, "every message at the subscriber", func() bool { _, got, _ := sub.state(); return got == n })
	if !slices.Equal(sub.got, want) {
		t.Fatalf("the subscriber got %d messages, not the %d sent in order", len(sub.got), n)
	}
	if _, _, most := sub.state(); most > 100 {
		t.Fatalf("the subscriber's queue grew to %d messages, beyond the peer's window of 100", most)
	}
	a.waitBridge("a_to_b", func(in Info) bool { return in.Inflight == 0 && in.Pending == 0 }, "the window empty")
}

// A bridge whose link is up asks reliable publishers to wait once its
// backlog (forwards waiting for room in the window) reaches highWater, and
// lets them go once acknowledgements bring it back under lowWater. Most
// messages are answered without the bridge's lock (backlog flag), so this
// checks that the flag follows the backlog both ways.
func TestBridgeReliableBacklogHoldsPublishers(t *testing.T) {
	const prefetch = 10
	m := New(nil, &config.Config{}, hclog.NewNullLogger())
	br := newBridge(m, "n", "n@peer", rules{messageTTL: -1, consumerTTL: -1, prefetch: prefetch}, false, false, 0)
	br.mu.Lock()
	br.link = &link{br: br, out: newFQ(&br.hot), ready: true}
	br.mu.Unlock()
	msg := func() *broker.Message { return &broker.Message{Dest: dest.T("orders"), QoS: 1, Persistent: true} }

	for range prefetch + highWater - 1 {
		br.Deliver(nil, msg())
	}
	if ch := br.Congested(msg()); ch != nil {
		t.Fatal("publishers held below highWater")
	}
	br.Deliver(nil, msg())
	ch := br.Congested(msg())
	if ch == nil {
		t.Fatal("publishers not held with highWater forwards waiting")
	}
	if again := br.Congested(msg()); again != ch {
		t.Fatal("a second publisher got another signal")
	}

	// Acknowledge the window over and over: each ack moves waiting
	// forwards into it. Publishers stay held until lowWater.
	var seq uint64
	ackWindow := func() {
		seqs := make([]uint64, prefetch)
		for i := range seqs {
			seq++
			seqs[i] = seq
		}
		br.acked(seqs, "")
	}
	for br.pendingLen() > lowWater+prefetch {
		ackWindow()
		select {
		case <-ch:
			t.Fatalf("released with %d forwards waiting", br.pendingLen())
		default:
		}
	}
	for br.pendingLen() > lowWater {
		ackWindow()
	}
	select {
	case <-ch:
	default:
		t.Fatalf("not released with %d forwards waiting", br.pendingLen())
	}
	if br.Congested(msg()) != nil {
		t.Fatal("publishers held again under lowWater")
	}
}

func (br *Bridge) pendingLen() int {
	br.mu.Lock()
	defer br.mu.Unlock()
	return br.pending.Len()
}

// A run delivered to a bridge goes onto the link in order: reliable
// forwards that fit the window and the QoS 0 messages between them, then
// what did not fit waits and follows as the window frees up.
func TestBridgeDeliverRunKeepsOrder(t *testing.T) {
	m := New(nil, &config.Config{}, hclog.NewNullLogger())
	br := newBridge(m, "n", "n@peer", rules{messageTTL: -1, consumerTTL: -1, prefetch: 3}, false, false, 0)
	l := &link{br: br, out: newFQ(&br.hot), ready: true}
	br.mu.Lock()
	br.link = l
	br.mu.Unlock()
	var ms []*broker.Message
	for i, q := range []byte{1, 1, 0, 1, 0, 1, 1} {
		ms = append(ms, &broker.Message{Dest: dest.T("orders"), QoS: q, Payload: fmt.Appendf(nil, "m%d", i)})
	}
	ms = append(ms, &broker.Message{Dest: dest.T("orders"), QoS: 1, Retain: true, Payload: []byte("retained")})
	br.DeliverRun(nil, ms)

	taken := func() (got []string) {
		items, ok := l.out.take(nil, time.Second)
		if !ok {
			t.Fatal("link queue closed")
		}
		for _, f := range items {
			switch {
			case f.fwd != nil:
				got = append(got, fmt.Sprintf("%s#%d", f.fwd.m.Payload, f.fwd.seq))
			case f.msg != nil:
				got = append(got, string(f.msg.Payload))
			}
		}
		return got
	}
	if got, want := taken(), []string{"m0#1", "m1#2", "m2", "m3#3", "m4"}; !slices.Equal(got, want) {
		t.Fatalf("on the link: %v, want %v", got, want)
	}
	if n := br.pendingLen(); n != 2 {
		t.Fatalf("%d forwards wait for the window, want 2", n)
	}
	br.acked([]uint64{1, 2}, "")
	if got, want := taken(), []string{"m5#4", "m6#5"}; !slices.Equal(got, want) {
		t.Fatalf("after acknowledgements: %v, want %v (a retained message travels apart)", got, want)
	}
}
