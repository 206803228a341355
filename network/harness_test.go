package network

import (
	"context"
	"fmt"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-stomp/stomp/v3/frame"
	"github.com/hashicorp/go-hclog"

	"github.com/hashi-broker/hashi/authz"
	"github.com/hashi-broker/hashi/broker"
	"github.com/hashi-broker/hashi/broker/dest"
	wire "github.com/hashi-broker/hashi/broker/stomp/frame"
	"github.com/hashi-broker/hashi/config"
)

// node is an in-process broker core with a network manager and a listener
// that hands bridge CONNECTs to it, as the STOMP server does: the bridge code
// runs under the race detector without the rest of the binary.
type node struct {
	t    *testing.T
	name string
	b    *broker.Broker
	m    *Manager
	ln   net.Listener
	addr string

	maxFrame int // the listener's frame limit (wireFormat.maxFrameSize); 0 = none
}

func newNode(t *testing.T, name string, ncs ...config.NetworkConnector) *node {
	t.Helper()
	return newNodeWith(t, name, func(string) []config.NetworkConnector { return ncs })
}

// newNodeWith builds a node whose connectors may name its own address.
func newNodeWith(t *testing.T, name string, ncs func(self string) []config.NetworkConnector) *node {
	t.Helper()
	n := listenNode(t, name)
	n.start(ncs(n.addr)...)
	return n
}

// listenNode reserves a node's address; start runs it.
func listenNode(t *testing.T, name string) *node {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return &node{t: t, name: name, ln: ln, addr: ln.Addr().String()}
}

// connector returns a networkConnector with ActiveMQ's defaults to uris
// (static:, one bridge each), reconnecting fast.
func connector(name string, duplex bool, uris ...string) config.NetworkConnector {
	nc := config.NewNetworkConnector()
	nc.Name, nc.Duplex, nc.Mode = name, duplex, "static"
	for _, u := range uris {
		nc.Peers = append(nc.Peers, u)
		nc.Bridges = append(nc.Bridges, []string{u})
	}
	nc.Reconnect.InitialDelay = 100 * time.Millisecond
	nc.Reconnect.MaxDelay = 500 * time.Millisecond
	return nc
}

func (n *node) start(ncs ...config.NetworkConnector) {
	cfg := &config.Config{Broker: config.NewBroker()}
	cfg.Broker.Name = n.name
	cfg.Broker.NetworkConnectors = ncs
	level := hclog.Warn
	if os.Getenv("HASHI_TEST_LOG") != "" {
		level = hclog.LevelFromString(os.Getenv("HASHI_TEST_LOG"))
	}
	over := &atomic.Bool{}
	log := hclog.New(&hclog.LoggerOptions{Name: n.name, Level: level, Output: testWriter{n.t, over}})
	b, err := broker.New(cfg, log)
	if err != nil {
		n.t.Fatal(err)
	}
	n.b = b
	n.m = New(b, cfg, log.Named("network"))
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := n.ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				n.serve(c)
			}()
		}
	}()
	n.m.Start()
	n.t.Cleanup(func() {
		n.ln.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		n.m.Stop(ctx)
		b.Shutdown(ctx)
		wg.Wait()
		over.Store(true)
	})
}

func (n *node) serve(c net.Conn) {
	defer c.Close()
	r := wire.NewReader(c, 64*1024)
	r.MaxFrameSize = n.maxFrame
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	var f *frame.Frame
	var err error
	for f == nil && err == nil {
		f, err = r.Read()
	}
	if err != nil || f.Command != frame.CONNECT {
		return
	}
	c.SetReadDeadline(time.Time{})
	n.m.Accept(c, r, f, authz.Identity{User: f.Header.Get(frame.Login)})
}

// testWriter sends log lines to the test's log until the test is over
// (a grace timer may fire later).
type testWriter struct {
	t    *testing.T
	over *atomic.Bool
}

func (w testWriter) Write(p []byte) (int, error) {
	if !w.over.Load() {
		w.t.Logf("%s", p)
	}
	return len(p), nil
}

// bridge returns the node's bridge info by name, or false.
func (n *node) bridge(name string) (Info, bool) {
	for _, in := range n.m.Bridges() {
		if in.Name == name {
			return in, true
		}
	}
	return Info{}, false
}

func (n *node) waitBridge(name string, cond func(Info) bool, what string) Info {
	n.t.Helper()
	var in Info
	waitUntil(n.t, 10*time.Second, n.name+" bridge "+name+": "+what, func() bool {
		var ok bool
		in, ok = n.bridge(name)
		return ok && cond(in)
	})
	return in
}

func (n *node) waitUp(name string) Info {
	n.t.Helper()
	return n.waitBridge(name, func(in Info) bool { return in.State == Up }, "up")
}

func waitUntil(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// recorder is a topic subscriber collecting payloads.
type recorder struct {
	mu  sync.Mutex
	got []string
}

func (r *recorder) Deliver(_ []*broker.Subscription, m *broker.Message) {
	r.mu.Lock()
	r.got = append(r.got, string(m.Payload))
	r.mu.Unlock()
}

func (r *recorder) payloads() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.got...)
}

func (n *node) subscribe(pattern string) (*recorder, *broker.Subscription) {
	r := &recorder{}
	s := &broker.Subscription{Dest: dest.T(pattern), Owner: r, QoS: 1, ClientID: "test-" + pattern}
	n.b.Subscribe(s)
	return r, s
}

func (n *node) publish(topic, payload string, qos byte) {
	n.b.Publish(&broker.Message{Dest: dest.T(topic), Payload: []byte(payload), QoS: qos})
}

// demandOn waits until the node's bridge holds demand for pattern.
func (n *node) waitDemand(bridge string, k int) {
	n.t.Helper()
	n.waitBridge(bridge, func(in Info) bool { return in.Demand == k }, fmt.Sprintf("remote demand %d", k))
}

// relay forwards TCP connections to target; cut closes the listener and
// every relayed connection, heal listens again on the same port, dropNear
// closes only the client-facing half (the far end sees nothing).
type relay struct {
	t      *testing.T
	target string
	addr   string
	mu     sync.Mutex
	ln     net.Listener
	pairs  [][2]net.Conn
	stale  []net.Conn
	mute   atomic.Bool // drop everything the far end sends
	wg     sync.WaitGroup
}

func newRelay(t *testing.T, target string) *relay {
	r := &relay{t: t, target: target}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r.addr = ln.Addr().String()
	r.serve(ln)
	t.Cleanup(func() { r.cut(); r.wg.Wait() })
	return r
}

func (r *relay) serve(ln net.Listener) {
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
			r.pairs = append(r.pairs, [2]net.Conn{c, far})
			r.mu.Unlock()
			r.wg.Add(2)
			go func() { defer r.wg.Done(); copyClose(far, c, nil) }()
			go func() { defer r.wg.Done(); copyClose(c, far, &r.mute) }()
		}
	}()
}

func copyClose(dst, src net.Conn, mute *atomic.Bool) {
	buf := make([]byte, 32*1024)
	for {
		n, err := src.Read(buf)
		if n > 0 && (mute == nil || !mute.Load()) {
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

func (r *relay) cut() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.ln != nil {
		r.ln.Close()
		r.ln = nil
	}
	for _, p := range r.pairs {
		p[0].Close()
		p[1].Close()
	}
	r.pairs = nil
	for _, c := range r.stale {
		c.Close()
	}
	r.stale = nil
}

// dropNear closes the client side of every relayed connection and leaves
// the far side open and silent, like a path that died without a FIN.
func (r *relay) dropNear() {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, p := range r.pairs {
		p[0].Close()
		r.stale = append(r.stale, p[1])
	}
	r.pairs = nil
}

func (r *relay) heal() {
	var ln net.Listener
	var err error
	for i := 0; i < 50; i++ {
		if ln, err = net.Listen("tcp", r.addr); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		r.t.Fatalf("relay cannot listen on %s again: %v", r.addr, err)
	}
	r.serve(ln)
}
