package mqtt

import (
	"sync"

	"github.com/hashi-broker/hashi/broker"
)

// ackGate holds back acknowledgements of QoS 1/2 publishes whose receivers
// are congested (see flow.go), in order: PUBACKs go out in the order of the
// PUBLISH packets [MQTT-4.6.0-2], so once one waits the ones after it queue
// behind it. The reader keeps reading meanwhile; the client's own in-flight
// limit is what slows it.
type ackGate struct {
	mu      sync.Mutex
	held    []heldAck
	running bool
}

type heldAck struct {
	it    outItem
	waits []<-chan struct{}
}

// sendAcks queues acknowledgements that wait for nothing: all at once
// (one lock of the queue) when none is held, else one by one behind the
// held ones. Only the reader adds to the gate, so it stays empty between
// the check and the push.
func (c *conn) sendAcks(its []outItem) {
	g := &c.gate
	g.mu.Lock()
	idle := len(g.held) == 0
	g.mu.Unlock()
	if idle {
		c.out.pushAll(its)
		return
	}
	for _, it := range its {
		c.sendAck(it, nil)
	}
}

// sendAck queues an acknowledgement now, or behind the held ones.
func (c *conn) sendAck(it outItem, waits []<-chan struct{}) {
	g := &c.gate
	g.mu.Lock()
	if len(g.held) == 0 && len(waits) == 0 {
		g.mu.Unlock()
		c.out.push(it)
		return
	}
	g.held = append(g.held, heldAck{it, waits})
	start := !g.running
	g.running = true
	g.mu.Unlock()
	if start {
		go c.releaseAcks()
	}
}

// releaseAcks sends held acknowledgements as their receivers drain.
func (c *conn) releaseAcks() {
	g := &c.gate
	for {
		g.mu.Lock()
		if len(g.held) == 0 {
			g.held = nil
			g.running = false
			g.mu.Unlock()
			return
		}
		h := g.held[0]
		g.held[0] = heldAck{}
		g.held = g.held[1:]
		g.mu.Unlock()
		broker.WaitFlow(h.waits, flowWait, c.writerDone)
		c.out.push(h.it)
	}
}
