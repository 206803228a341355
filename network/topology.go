package network

import (
	"encoding/json"
	"sort"
	"sync"
	"time"

	"github.com/go-stomp/stomp/v3/frame"
)

// topologyDest carries each broker's own bridges to its peers, so every
// console can draw brokers two hops away.
const topologyDest = "/topic/hashi.bridge.topology"

// Edge is one bridge as the network picture shows it.
type Edge struct {
	From     string  `json:"from"`
	To       string  `json:"to"`
	State    State   `json:"state"`
	Duplex   bool    `json:"duplex"`
	RTTMilli float64 `json:"rttMs"`
	Bridge   string  `json:"bridge"`
}

// Node is a broker in the picture.
type Node struct {
	Name string `json:"name"`
	Self bool   `json:"self"`
	Hops int    `json:"hops"` // 0 = this broker, 1 = a direct peer, 2 = a peer's peer
}

// Topology is the network as this broker knows it.
type Topology struct {
	Nodes []Node `json:"nodes"`
	Edges []Edge `json:"edges"`
}

// peerReports holds the latest edges each peer reported, by peer name.
type peerReports struct {
	mu sync.Mutex
	m  map[string]report
}

type report struct {
	edges []Edge
	at    time.Time
}

// ownEdges lists this broker's bridges as edges.
func (m *Manager) ownEdges() []Edge {
	self := m.b.Name()
	var out []Edge
	for _, in := range m.Bridges() {
		if in.RemoteBroker == "" {
			continue
		}
		out = append(out, Edge{From: self, To: in.RemoteBroker, State: in.State, Duplex: in.Duplex,
			RTTMilli: float64(in.RTT.Microseconds()) / 1000, Bridge: in.Name})
	}
	return out
}

// Topology returns this broker, its peers and their peers with the bridges
// between them (edges reported by peers within the last minute).
func (m *Manager) Topology() Topology {
	self := m.b.Name()
	edges := m.ownEdges()
	hops := map[string]int{self: 0}
	for _, e := range edges {
		hops[e.To] = 1
	}
	m.reports.mu.Lock()
	for peer, r := range m.reports.m {
		if time.Since(r.at) > time.Minute {
			continue
		}
		if _, ok := hops[peer]; !ok {
			hops[peer] = 1
		}
		for _, e := range r.edges {
			if e.To == self || e.From == self {
				continue // our own bridges are reported first hand
			}
			edges = append(edges, e)
			for _, n := range []string{e.From, e.To} {
				if _, ok := hops[n]; !ok {
					hops[n] = 2
				}
			}
		}
	}
	m.reports.mu.Unlock()
	t := Topology{Edges: dedupeEdges(edges)}
	for n, h := range hops {
		t.Nodes = append(t.Nodes, Node{Name: n, Self: n == self, Hops: h})
	}
	sort.Slice(t.Nodes, func(i, j int) bool {
		if t.Nodes[i].Hops != t.Nodes[j].Hops {
			return t.Nodes[i].Hops < t.Nodes[j].Hops
		}
		return t.Nodes[i].Name < t.Nodes[j].Name
	})
	if t.Edges == nil {
		t.Edges = []Edge{}
	}
	return t
}

// dedupeEdges keeps one edge per unordered pair of brokers (a duplex bridge
// is reported by both ends), preferring an "up" one.
func dedupeEdges(es []Edge) []Edge {
	key := func(e Edge) string {
		if e.From < e.To {
			return e.From + "\x00" + e.To
		}
		return e.To + "\x00" + e.From
	}
	best := map[string]Edge{}
	var order []string
	for _, e := range es {
		k := key(e)
		old, ok := best[k]
		if !ok {
			order = append(order, k)
			best[k] = e
			continue
		}
		if old.State != Up && e.State == Up {
			best[k] = e
		}
	}
	out := make([]Edge, 0, len(order))
	for _, k := range order {
		out = append(out, best[k])
	}
	return out
}

// topologyFrame is this broker's edges for a peer.
func (l *link) topologyFrame() *frame.Frame {
	b, _ := json.Marshal(l.br.m.ownEdges())
	f := l.frameTo(topologyDest, "")
	f.Body = b
	return f
}

// onTopology records a peer's report.
func (l *link) onTopology(f *frame.Frame) {
	var es []Edge
	if json.Unmarshal(f.Body, &es) != nil {
		return
	}
	m := l.br.m
	m.reports.mu.Lock()
	if m.reports.m == nil {
		m.reports.m = map[string]report{}
	}
	m.reports.m[l.peer.name] = report{edges: es, at: time.Now()}
	m.reports.mu.Unlock()
}
