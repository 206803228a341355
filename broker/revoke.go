package broker

import "github.com/hashi-broker/hashi/authz"

// revoke ends subscriptions and queue consumers whose owners lost the right
// to read them (after a reload), and closes connections of users that no
// longer exist, so removed rights take effect at once.
func (b *Broker) revoke() {
	var subs []*Subscription
	b.topics.mu.RLock()
	b.topics.subs.Each(func(s *Subscription) {
		if g, ok := s.Owner.(*shareGroup); ok {
			g.mu.Lock()
			for _, m := range g.members {
				if !m.Network && !b.Allowed(m.Who, authz.Read, m.Dest) {
					subs = append(subs, m)
				}
			}
			g.mu.Unlock()
			return
		}
		if !s.Network && !b.Allowed(s.Who, authz.Read, s.Dest) {
			subs = append(subs, s)
		}
	})
	b.topics.mu.RUnlock()
	for _, s := range subs {
		b.Unsubscribe(s)
		b.audit.log.Warn("subscription revoked by a configuration change", "user", s.Who.User, "client", s.ClientID, "destination", s.Dest.String())
	}
	var cons []*Consumer
	for _, c := range b.allConsumers() {
		if !c.Network && !b.Allowed(c.Who, authz.Read, c.Dest) {
			cons = append(cons, c)
		}
	}
	for _, c := range cons {
		b.StopConsume(c)
		b.audit.log.Warn("queue consumer revoked by a configuration change", "user", c.Who.User, "client", c.ClientID, "destination", c.Dest.String())
	}
	// Connections of users that were removed or whose password changed log
	// in again (and fail if they no longer may).
	if a := b.Config().Broker.Authentication; a != nil {
		users := map[string]string{}
		for _, u := range a.Users {
			users[u.Name] = u.Password
		}
		for _, c := range b.Connections() {
			if c.User == "" || c.Close == nil {
				continue
			}
			if _, ok := users[c.User]; !ok && c.User != a.AnonymousUser {
				c.Close("user " + c.User + " was removed by a configuration change")
			}
		}
	}
}

func (b *Broker) allConsumers() []*Consumer {
	seen := map[*Consumer]bool{}
	var out []*Consumer
	b.queues.mu.RLock()
	qs := make([]*queue, 0, len(b.queues.byName))
	for _, q := range b.queues.byName {
		qs = append(qs, q)
	}
	b.queues.wildcard.Each(func(c *Consumer) {
		if !seen[c] {
			seen[c] = true
			out = append(out, c)
		}
	})
	b.queues.mu.RUnlock()
	for _, q := range qs {
		q.mu.Lock()
		for _, c := range q.consumers {
			if !seen[c] {
				seen[c] = true
				out = append(out, c)
			}
		}
		q.mu.Unlock()
	}
	return out
}
