package broker

import (
	"sort"
	"sync"
	"time"
)

// ConnInfo describes one client connection, for the console and metrics.
type ConnInfo struct {
	ID        uint64
	Protocol  string // "mqtt", "stomp", "bridge"
	Connector string // transport connector name
	ClientID  string
	User      string
	Remote    string
	Since     time.Time
	// Close asks the connection to go away (console "close" button, reload
	// removing a connector).
	Close func(reason string)
}

type connRegistry struct {
	mu    sync.Mutex
	conns map[uint64]*ConnInfo
}

func (r *connRegistry) init() { r.conns = make(map[uint64]*ConnInfo) }

// Register records a connection until the returned function is called.
func (b *Broker) Register(c *ConnInfo) (unregister func()) {
	if c.Since.IsZero() {
		c.Since = time.Now()
	}
	r := &b.conns
	r.mu.Lock()
	r.conns[c.ID] = c
	r.mu.Unlock()
	return func() {
		r.mu.Lock()
		delete(r.conns, c.ID)
		r.mu.Unlock()
	}
}

// Connections returns a snapshot of the registered connections by id.
func (b *Broker) Connections() []ConnInfo {
	r := &b.conns
	r.mu.Lock()
	out := make([]ConnInfo, 0, len(r.conns))
	for _, c := range r.conns {
		out = append(out, *c)
	}
	r.mu.Unlock()
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// CloseConnections asks every connection accepted on connector to close
// ("" = all).
func (b *Broker) CloseConnections(connector, reason string) int {
	r := &b.conns
	r.mu.Lock()
	var fns []func(string)
	for _, c := range r.conns {
		if (connector == "" || c.Connector == connector) && c.Close != nil {
			fns = append(fns, c.Close)
		}
	}
	r.mu.Unlock()
	for _, f := range fns {
		f(reason)
	}
	return len(fns)
}
