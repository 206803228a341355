package e2e

import (
	"fmt"
	"net"
	"sync"
	"testing"
	"time"
)

// tcpRelay forwards connections to target. cut closes the listener and
// every relayed connection (both brokers see the link die); heal listens on
// the same port again.
type tcpRelay struct {
	t      testing.TB
	target string
	addr   string
	mu     sync.Mutex
	ln     net.Listener
	conns  []net.Conn
	wg     sync.WaitGroup
}

func newTCPRelay(t testing.TB, target string) *tcpRelay {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r := &tcpRelay{t: t, target: target, addr: ln.Addr().String()}
	r.serve(ln)
	t.Cleanup(func() { r.cut(); r.wg.Wait() })
	return r
}

func (r *tcpRelay) serve(ln net.Listener) {
	r.mu.Lock()
	r.ln = ln
	r.mu.Unlock()
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			far, err := net.Dial("tcp", r.target)
			if err != nil {
				c.Close()
				continue
			}
			r.mu.Lock()
			r.conns = append(r.conns, c, far)
			r.mu.Unlock()
			r.wg.Add(2)
			go r.pipe(far, c)
			go r.pipe(c, far)
		}
	}()
}

func (r *tcpRelay) pipe(dst, src net.Conn) {
	defer r.wg.Done()
	buf := make([]byte, 32*1024)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			if _, werr := dst.Write(buf[:n]); werr != nil {
				break
			}
		}
		if err != nil {
			break
		}
	}
	dst.Close()
	src.Close()
}

func (r *tcpRelay) cut() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.ln != nil {
		r.ln.Close()
		r.ln = nil
	}
	for _, c := range r.conns {
		c.Close()
	}
	r.conns = nil
}

func (r *tcpRelay) heal() {
	r.t.Helper()
	var ln net.Listener
	var err error
	for i := 0; i < 100; i++ {
		if ln, err = net.Listen("tcp", r.addr); err == nil {
			r.serve(ln)
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	r.t.Fatalf("relay cannot listen on %s again: %v", r.addr, err)
}

// A link cut while QoS 1 traffic flows: nothing is lost, nothing arrives
// twice, order per producer holds, and the bridge is back soon after the
// path heals. QoS 0 sent while the link is down is dropped and counted.
func TestNetworkCutAndHeal(t *testing.T) {
	b := startNet(t, netXML("b", "", ""))
	relay := newTCPRelay(t, b.addr("bridge"))
	a := startNet(t, netXML("a", "", connectorsXML(
		connectorXML("a_to_b", "static:(tcp://"+relay.addr+")", `duplex="true"`))))
	waitBridge(t, a, "a_to_b", "up", up)
	sub := dialMQTT(t, b.addr("mqtt"), "sub-b")
	sub.subscribe("seq/#", 1)
	waitBridge(t, a, "a_to_b", "demand", demand(1))

	const n = 300
	pub := dialMQTT(t, a.addr("mqtt"), "pub-a")
	published := make(chan int, n)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; i < n; i++ {
			pub.publish("seq/a", fmt.Sprintf("a-%d", i), 1, false)
			published <- i
			time.Sleep(10 * time.Millisecond)
		}
	}()
	for i := 0; i < 80; i++ { // let some traffic cross first
		<-published
	}
	relay.cut()
	waitBridge(t, a, "a_to_b", "link down", func(b bridgeJSON) bool { return b.State != "up" })
	down, _ := bridgeOf(t, a, "a_to_b")
	q0 := dialMQTT(t, a.addr("mqtt"), "pub-q0")
	const lossy = 20
	for i := 0; i < lossy; i++ {
		q0.publish("seq/q0", fmt.Sprint("q0-", i), 0, false)
	}
	time.Sleep(3 * time.Second)
	ups := len(a.find("network bridge up"))
	relay.heal()
	healed := time.Now()
	waitFor(t, 15*time.Second, "bridge up again", func() bool { return len(a.find("network bridge up")) > ups })
	gap := time.Since(healed)
	t.Logf("reconnect gap after heal: %v", gap.Round(time.Millisecond))
	if gap > 5*time.Second {
		t.Errorf("bridge took %v to come back after the path healed", gap)
	}
	<-done

	want := make([]string, n)
	for i := range want {
		want[i] = fmt.Sprintf("a-%d", i)
	}
	deadline := time.Now().Add(15 * time.Second)
	var got []mqttMsg
	for {
		got = nil
		for _, m := range sub.messages() {
			if m.Topic == "seq/a" {
				got = append(got, m)
			}
		}
		if len(got) >= n || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(200 * time.Millisecond)
	got = got[:0]
	var q0got int
	for _, m := range sub.messages() {
		if m.Topic == "seq/a" {
			got = append(got, m)
		} else {
			q0got++
		}
	}
	exactlyOnce(t, "subscriber on b", got, want)
	for i, m := range got {
		if m.Payload != want[i] {
			t.Fatalf("message %d is %s: order lost", i, m.Payload)
		}
	}
	after, _ := bridgeOf(t, a, "a_to_b")
	dropped := int(after.Dropped - down.Dropped)
	t.Logf("QoS 0 during the cut: %d dropped and counted, %d delivered", dropped, q0got)
	if dropped+q0got != lossy || dropped == 0 {
		t.Fatalf("QoS 0 during the cut: %d counted as dropped + %d delivered, want %d in all", dropped, q0got, lossy)
	}
	if after.State != "up" || after.Pending != 0 || after.Inflight != 0 {
		t.Fatalf("after the heal: %+v", after)
	}
}
