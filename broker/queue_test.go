package broker

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/hashi-broker/hashi/broker/dest"
	"github.com/hashi-broker/hashi/config"
)

func newTestBroker(t testing.TB, mutate func(*config.Broker)) *Broker {
	t.Helper()
	cfg := &config.Config{Broker: config.NewBroker()}
	if mutate != nil {
		mutate(&cfg.Broker)
	}
	b, err := New(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Shutdown(context.Background()) })
	return b
}

// recorder is a QueueSubscriber that remembers its deliveries.
type recorder struct {
	mu  sync.Mutex
	got []Delivery
}

func (r *recorder) DeliverQueue(_ *Consumer, d Delivery) {
	r.mu.Lock()
	r.got = append(r.got, d)
	r.mu.Unlock()
}

func (r *recorder) deliveries() []Delivery {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Delivery(nil), r.got...)
}

func (r *recorder) bodies() []string {
	var out []string
	for _, d := range r.deliveries() {
		out = append(out, string(d.Msg.Payload))
	}
	return out
}

func send(t *testing.T, b *Broker, q string, bodies ...string) {
	t.Helper()
	for _, s := range bodies {
		if err := b.Send(context.Background(), &Message{Dest: dest.Q(q), Payload: []byte(s), Persistent: true}); err != nil {
			t.Fatal(err)
		}
	}
}

func consumer(b *Broker, q string, prefetch int, mode AckMode) (*Consumer, *recorder) {
	r := &recorder{}
	c := &Consumer{Dest: dest.Q(q), Owner: r, Prefetch: prefetch, Mode: mode}
	b.Consume(c)
	return c, r
}

func TestQueueRoundRobinWithPrefetch(t *testing.T) {
	b := newTestBroker(t, nil)
	_, r1 := consumer(b, "orders", 2, AckIndividual)
	_, r2 := consumer(b, "orders", 2, AckIndividual)
	_, r3 := consumer(b, "orders", 2, AckIndividual)
	send(t, b, "orders", "1", "2", "3", "4", "5", "6", "7", "8")
	// Three consumers with prefetch 2 take six; two wait.
	if a, b2, c := len(r1.got), len(r2.got), len(r3.got); a != 2 || b2 != 2 || c != 2 {
		t.Fatalf("dispatch %d/%d/%d, want 2/2/2", a, b2, c)
	}
	if got := fmt.Sprint(r1.bodies(), r2.bodies(), r3.bodies()); got != "[1 4] [2 5] [3 6]" {
		t.Fatalf("round robin order: %s", got)
	}
	st, _ := b.QueueStats(dest.Q("orders"))
	if st.Pending != 2 || st.Inflight != 6 || st.Consumers != 3 {
		t.Fatalf("stats %+v", st)
	}
}

func TestQueueKeepsUntilAckAndDeliversToLateConsumer(t *testing.T) {
	b := newTestBroker(t, nil)
	send(t, b, "late", "a", "b", "c")
	c, r := consumer(b, "late", 10, AckClient)
	if got := fmt.Sprint(r.bodies()); got != "[a b c]" {
		t.Fatalf("late consumer got %s", got)
	}
	// Cumulative ack of "b" acknowledges "a" too.
	if !c.Ack(r.got[1].Tag) {
		t.Fatal("ack failed")
	}
	if c.Inflight() != 1 {
		t.Fatalf("inflight after cumulative ack = %d, want 1", c.Inflight())
	}
	st, _ := b.QueueStats(dest.Q("late"))
	if st.Dequeued != 2 {
		t.Fatalf("dequeued = %d", st.Dequeued)
	}
}

func TestQueueRedeliversWhenConsumerGoesAway(t *testing.T) {
	b := newTestBroker(t, nil)
	dying, rd := consumer(b, "work", 3, AckIndividual)
	send(t, b, "work", "1", "2", "3", "4")
	if len(rd.got) != 3 {
		t.Fatalf("first consumer got %d", len(rd.got))
	}
	dying.Ack(rd.deliveries()[0].Tag) // "1" done; its credit takes "4"
	b.StopConsume(dying)              // "2","3","4" unacked go back to the front
	_, r := consumer(b, "work", 10, AckIndividual)
	send(t, b, "work", "5")
	got := r.deliveries()
	if len(got) != 4 {
		t.Fatalf("survivor got %d deliveries", len(got))
	}
	want := []struct {
		body  string
		redel bool
	}{{"2", true}, {"3", true}, {"4", true}, {"5", false}}
	for i, w := range want {
		if string(got[i].Msg.Payload) != w.body || got[i].Redelivered != w.redel {
			t.Fatalf("delivery %d = %q redelivered=%v, want %q %v", i, got[i].Msg.Payload, got[i].Redelivered, w.body, w.redel)
		}
	}
}

func TestQueueNackRedeliversThenDeadLetters(t *testing.T) {
	b := newTestBroker(t, nil)
	c, r := consumer(b, "poison", 1, AckIndividual)
	send(t, b, "poison", "bad")
	for i := 1; i <= MaxRedeliveries+1; i++ {
		d := r.deliveries()
		if len(d) != i || d[i-1].Count != i {
			t.Fatalf("attempt %d: deliveries %d count %d", i, len(d), d[len(d)-1].Count)
		}
		c.Nack(d[i-1].Tag)
	}
	st, _ := b.QueueStats(dest.Q("poison"))
	if st.DLQ != 1 || st.Pending != 0 {
		t.Fatalf("after %d NACKs: %+v", MaxRedeliveries+1, st)
	}
	dlq, ok := b.QueueStats(DLQ)
	if !ok || dlq.Pending != 1 {
		t.Fatalf("DLQ stats %+v", dlq)
	}
}

func TestQueueProducerFlowControl(t *testing.T) {
	b := newTestBroker(t, func(cb *config.Broker) {
		e := config.NewPolicyEntry()
		e.Dest = dest.Q("small")
		e.MemoryLimit = 3 * msgSize(&Message{Payload: make([]byte, 10)})
		f := e
		f.Dest = dest.Q("failfast")
		f.SendFailIfNoSpace = true
		cb.Policy.Entries = []config.PolicyEntry{e, f}
	})
	body := string(make([]byte, 10))
	send(t, b, "small", body, body, body)
	done := make(chan error, 1)
	go func() { done <- b.Send(context.Background(), &Message{Dest: dest.Q("small"), Payload: []byte(body)}) }()
	select {
	case err := <-done:
		t.Fatalf("send to a full queue returned at once: %v", err)
	case <-time.After(50 * time.Millisecond):
	}
	c, r := consumer(b, "small", 1, AckIndividual)
	c.Ack(r.deliveries()[0].Tag) // frees space: the blocked producer proceeds
	if err := <-done; err != nil {
		t.Fatal(err)
	}

	send(t, b, "failfast", body, body, body)
	err := b.Send(context.Background(), &Message{Dest: dest.Q("failfast"), Payload: []byte(body)})
	if !errors.Is(err, ErrQueueFull) {
		t.Fatalf("sendFailIfNoSpace: err = %v", err)
	}
}

func TestQueueWildcardConsumerAndPriority(t *testing.T) {
	b := newTestBroker(t, nil)
	_, rw := consumer(b, "orders.>", 10, AckAuto)
	send(t, b, "orders.eu", "e1")
	send(t, b, "orders.us", "u1")
	send(t, b, "invoices", "i1")
	if got := fmt.Sprint(rw.bodies()); got != "[e1 u1]" {
		t.Fatalf("wildcard consumer got %s", got)
	}
	if d := rw.deliveries(); d[1].Queue != dest.Q("orders.us") {
		t.Fatalf("delivery names queue %v", d[1].Queue)
	}

	// A network consumer (lower priority) only gets what local consumers
	// cannot take.
	local := &recorder{}
	b.Consume(&Consumer{Dest: dest.Q("prio"), Owner: local, Prefetch: 2})
	net := &recorder{}
	b.Consume(&Consumer{Dest: dest.Q("prio"), Owner: net, Prefetch: 10, Priority: -5, Network: true})
	send(t, b, "prio", "1", "2", "3")
	if len(local.got) != 2 || len(net.got) != 1 {
		t.Fatalf("local %d network %d, want 2 and 1", len(local.got), len(net.got))
	}
}

func TestVirtualTopicFanOut(t *testing.T) {
	b := newTestBroker(t, nil)
	_, a := consumer(b, "Consumer.A.VirtualTopic.Orders", 10, AckAuto)
	_, a2 := consumer(b, "Consumer.A.VirtualTopic.Orders", 10, AckAuto)
	_, bb := consumer(b, "Consumer.B.VirtualTopic.Orders", 10, AckAuto)
	for i := 0; i < 4; i++ {
		b.Publish(&Message{Dest: dest.T("VirtualTopic.Orders"), Payload: []byte(fmt.Sprint(i))})
	}
	// B's queue gets every message; A's two consumers compete.
	if len(bb.got) != 4 || len(a.got)+len(a2.got) != 4 || len(a.got) != 2 {
		t.Fatalf("B %d, A %d+%d", len(bb.got), len(a.got), len(a2.got))
	}
}

// A run of publishes (as MQTT and bridges hand them over) reaches every
// consumer queue of its virtual topic, in order, and the topic's own
// subscribers too.
func TestVirtualTopicRun(t *testing.T) {
	b := newTestBroker(t, nil)
	_, a := consumer(b, "Consumer.A.VirtualTopic.Orders", 10, AckAuto)
	_, bb := consumer(b, "Consumer.B.VirtualTopic.Orders", 10, AckAuto)
	_, other := consumer(b, "Consumer.C.VirtualTopic.Other", 10, AckAuto)
	var run []*Message
	for i := range 5 {
		run = append(run, &Message{Dest: dest.T("VirtualTopic.Orders"), Payload: []byte(fmt.Sprint(i))})
	}
	if n, _ := b.PublishRun(run); n != len(run) {
		t.Fatalf("published %d of %d", n, len(run))
	}
	for name, r := range map[string]*recorder{"A": a, "B": bb} {
		if got := fmt.Sprint(r.bodies()); got != "[0 1 2 3 4]" {
			t.Errorf("queue %s got %s", name, got)
		}
	}
	if len(other.got) != 0 {
		t.Errorf("another virtual topic's queue got %d", len(other.got))
	}
}

// A message that expired while it waited is not dispatched and is counted;
// the ones around it, expiring later or never, are delivered in order.
func TestQueueDropsExpiredOnDispatch(t *testing.T) {
	b := newTestBroker(t, nil)
	now := time.Now().UnixMilli()
	for _, m := range []*Message{
		{Payload: []byte("never")},
		{Payload: []byte("soon"), Expiry: now + 50},
		{Payload: []byte("later"), Expiry: now + time.Hour.Milliseconds()},
	} {
		m.Dest = dest.Q("timed")
		if err := b.Send(context.Background(), m); err != nil {
			t.Fatal(err)
		}
	}
	for time.Now().UnixMilli() <= now+50 {
		time.Sleep(10 * time.Millisecond)
	}
	_, r := consumer(b, "timed", 10, AckAuto)
	if got := fmt.Sprint(r.bodies()); got != "[never later]" {
		t.Fatalf("delivered %s, want [never later]", got)
	}
	if st, _ := b.QueueStats(dest.Q("timed")); st.Expired != 1 {
		t.Fatalf("expired count %d, want 1", st.Expired)
	}
}

func TestTempQueueDeletedWithConnection(t *testing.T) {
	b := newTestBroker(t, nil)
	d := dest.Destination{Kind: dest.TempQueue, Name: "ID:c7:1"}
	b.CreateTemp(d, 7)
	if !b.QueueExists(d) {
		t.Fatal("temp queue missing")
	}
	b.DeleteTemp(8)
	if !b.QueueExists(d) {
		t.Fatal("another connection's close deleted it")
	}
	b.DeleteTemp(7)
	if b.QueueExists(d) {
		t.Fatal("temp queue survived its connection")
	}
}

func TestInactiveQueueGC(t *testing.T) {
	b := newTestBroker(t, func(cb *config.Broker) {
		e := config.NewPolicyEntry()
		e.Dest = dest.Q(">")
		e.GCInactiveDestinations = true
		e.InactiveTimeoutBeforeGC = time.Minute
		cb.Policy.Entries = []config.PolicyEntry{e}
	})
	b.CreateQueue(dest.Q("idle"))
	send(t, b, "busy", "x")
	now := time.Now()
	if n := b.gcQueues(now, 0); n != 0 {
		t.Fatalf("collected %d before the timeout", n)
	}
	b.gcQueues(now.Add(2*time.Minute), 0)
	if b.QueueExists(dest.Q("idle")) {
		t.Fatal("idle queue not collected")
	}
	if !b.QueueExists(dest.Q("busy")) {
		t.Fatal("queue holding a message was collected")
	}
}
