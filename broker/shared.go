package broker

import (
	"sync"

	"github.com/hashi-broker/hashi/broker/dest"
)

// Ready is implemented by subscribers that can say whether they are connected
// right now; shared subscriptions prefer ready members.
type Ready interface{ Ready() bool }

type shareKey struct {
	group string
	dest  dest.Destination
}

// shareGroup is an MQTT shared subscription ($share/group/filter): each
// message goes to one member, round robin, preferring connected members
// [MQTT-4.8.2-*]. It sits in the topic index as a single subscription.
type shareGroup struct {
	sub *Subscription // the group's entry in the index

	mu      sync.Mutex
	members []*Subscription
	next    int
}

func (g *shareGroup) add(s *Subscription) {
	g.mu.Lock()
	g.members = append(g.members, s)
	g.mu.Unlock()
}

func (g *shareGroup) remove(s *Subscription) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	for i, m := range g.members {
		if m == s {
			g.members = append(g.members[:i], g.members[i+1:]...)
			return true
		}
	}
	return false
}

func (g *shareGroup) empty() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.members) == 0
}

// Deliver picks one member: the next ready one after the last pick, or the
// next one if nobody is connected (its session queues the message).
func (g *shareGroup) Deliver(_ []*Subscription, m *Message) {
	g.mu.Lock()
	n := len(g.members)
	if n == 0 {
		g.mu.Unlock()
		return
	}
	start, pick := g.next%n, -1
	for i := 0; i < n; i++ {
		c := g.members[(start+i)%n]
		if r, ok := c.Owner.(Ready); !ok || r.Ready() {
			pick = (start + i) % n
			break
		}
	}
	if pick < 0 {
		pick = start
	}
	g.next = (pick + 1) % n
	s := g.members[pick]
	g.mu.Unlock()
	s.delivered.Add(1)
	one := [1]*Subscription{s}
	s.Owner.Deliver(one[:], m)
}
