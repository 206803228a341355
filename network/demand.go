package network

import (
	"github.com/hashi-broker/hashi/broker"
	"github.com/hashi-broker/hashi/broker/dest"
)

// remoteDemand is the local stand-in for the peer's consumers on one
// destination: a network topic subscription or a network queue consumer
// whose deliveries are forwarded. With conduit subscriptions (the default)
// all of the peer's consumers on a destination share one.
type remoteDemand struct {
	d    dest.Destination
	path []string
	ids  map[string]bool // peer demand ids it stands for
	mark bool            // seen in the current sync
	live bool            // subscribed: what the admin API counts
	sub  *broker.Subscription
	cons *broker.Consumer
}

// demandAdd handles the peer announcing a consumer.
func (br *Bridge) demandAdd(id string, d dest.Destination, path []string) {
	br.mu.Lock()
	if !br.forwards() || !br.rules.permitted(d) || !br.rules.acceptDemand(path, br.b.ID()) {
		br.mu.Unlock()
		return
	}
	key := destKey(d)
	if !br.rules.conduit {
		key += "|" + id
	}
	if rd := br.demand[key]; rd != nil {
		rd.ids[id] = true
		rd.mark = true
		br.mu.Unlock()
		return
	}
	peer := br.remote.id
	// The stand-in's path is the consumer's path plus the peer (ActiveMQ's
	// brokerPath = remote path + remote broker id): announced onwards, it
	// tells the next broker how far away the consumer is and where it was.
	path = append(path[:len(path):len(path)], peer)
	rd := &remoteDemand{d: d, path: path, ids: map[string]bool{id: true}, mark: true}
	br.demand[key] = rd
	rules := br.rules // a copy: the queue consumer's Accept runs outside br.mu
	br.mu.Unlock()

	if d.Kind.IsQueue() {
		rd.cons = &broker.Consumer{
			Dest: d, Owner: queueSide{br}, Prefetch: rules.prefetch, Mode: broker.AckIndividual,
			Priority: rules.priority(len(path)), Network: true, Bridge: br.key, BrokerPath: path,
			ID: "bridge:" + br.key, ClientID: br.key,
			Accept: func(m *broker.Message, _ int) bool { return rules.permitted(m.Dest) && rules.forwardable(m, peer) },
		}
		br.b.Consume(rd.cons)
	} else {
		rd.sub = &broker.Subscription{
			Dest: d, Owner: br, QoS: 2, Network: true, Bridge: br.key, BrokerPath: path,
			Filter: d.String(), ClientID: br.key,
		}
		br.b.Subscribe(rd.sub)
	}
	br.mu.Lock()
	rd.live = true
	br.mu.Unlock()
	br.log.Debug("remote demand added", "destination", d.String(), "path", joinPath(path))
}

// demandRemove handles the peer's consumer going away.
func (br *Bridge) demandRemove(id string, d dest.Destination) {
	br.mu.Lock()
	key := destKey(d)
	if !br.rules.conduit {
		key += "|" + id
	}
	rd := br.demand[key]
	if rd == nil {
		br.mu.Unlock()
		return
	}
	delete(rd.ids, id)
	if len(rd.ids) > 0 {
		br.mu.Unlock()
		return
	}
	delete(br.demand, key)
	br.mu.Unlock()
	br.release(rd)
	br.log.Debug("remote demand removed", "destination", d.String())
}

func (br *Bridge) release(rd *remoteDemand) {
	if rd.cons != nil {
		br.b.StopConsume(rd.cons)
	}
	if rd.sub != nil {
		br.b.Unsubscribe(rd.sub)
	}
}

// syncBegin starts a full demand listing from the peer (after a reconnect):
// entries not repeated before syncEnd are gone.
func (br *Bridge) syncBegin() {
	br.mu.Lock()
	for _, rd := range br.demand {
		rd.mark = false
		clear(rd.ids)
	}
	br.mu.Unlock()
}

func (br *Bridge) syncEnd() {
	br.staticDemand()
	br.mu.Lock()
	var gone []*remoteDemand
	for k, rd := range br.demand {
		if !rd.mark {
			gone = append(gone, rd)
			delete(br.demand, k)
		}
	}
	expired := br.pump()
	br.mu.Unlock()
	settleExpired(expired)
	for _, rd := range gone {
		br.release(rd)
	}
}

// dropDemandFor stops forwarding d after the peer refused it.
func (br *Bridge) dropDemandFor(d dest.Destination) {
	br.mu.Lock()
	var gone []*remoteDemand
	for k, rd := range br.demand {
		if rd.d == d || (rd.d.Kind == d.Kind && dest.Covers(rd.d.Name, d.Name) && !rd.d.IsWildcard()) {
			gone = append(gone, rd)
			delete(br.demand, k)
		}
	}
	br.mu.Unlock()
	for _, rd := range gone {
		br.release(rd)
	}
}

// clearDemandLocked removes every topic demand and returns the
// subscriptions to unsubscribe. br.mu must be held.
func (br *Bridge) clearDemandLocked() []*broker.Subscription {
	var subs []*broker.Subscription
	for k, rd := range br.demand {
		if rd.sub != nil {
			subs = append(subs, rd.sub)
		}
		delete(br.demand, k)
	}
	return subs
}

// staticDemand creates the demand of staticallyIncludedDestinations, which
// always cross whatever the peer's consumers.
func (br *Bridge) staticDemand() {
	r, _ := br.current()
	for _, d := range r.static {
		br.demandAdd("static:"+d.String(), d, nil)
	}
}

// localDemandFilter says whether local demand should be announced to the
// peer: not the demand this bridge created itself, nothing internal, and
// nothing the peer already is on the path of.
func (br *Bridge) announceable(d broker.Demand, peer string) bool {
	if d.Network && d.Bridge == br.key {
		return false
	}
	if internal(d.Dest) || contains(d.BrokerPath, peer) {
		return false
	}
	return true
}
