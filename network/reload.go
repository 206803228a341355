package network

import (
	"reflect"

	"github.com/hashi-broker/hashi/config"
)

// Apply brings the running network connectors in line with cfg: connectors
// that are gone stop (their bridges close), new ones start, changed ones
// restart; bridges of unchanged connectors and accepted bridges stay up. It
// returns the names of the connectors it added, removed and restarted.
func (m *Manager) Apply(cfg *config.Config) (added, removed, changed []string) {
	old := map[string]config.NetworkConnector{}
	m.mu.Lock()
	for _, nc := range m.cfg.Broker.NetworkConnectors {
		old[nc.Name] = nc
	}
	next := map[string]config.NetworkConnector{}
	for _, nc := range cfg.Broker.NetworkConnectors {
		next[nc.Name] = nc
	}
	var stop []*dialer
	for name, nc := range old {
		n, ok := next[name]
		switch {
		case !ok:
			removed = append(removed, name)
		case !sameConnector(nc, n):
			changed = append(changed, name)
		default:
			continue
		}
		for key, d := range m.dialers {
			if d.nc.Name == name {
				stop = append(stop, d)
				delete(m.dialers, key)
				delete(m.bridges, key)
			}
		}
	}
	m.cfg = cfg
	for _, nc := range cfg.Broker.NetworkConnectors {
		o, existed := old[nc.Name]
		if existed && sameConnector(o, nc) {
			continue
		}
		if !existed {
			added = append(added, nc.Name)
		}
		m.startConnectorLocked(nc)
	}
	m.mu.Unlock()
	for _, d := range stop {
		d.stop()
	}
	return added, removed, changed
}

func sameConnector(a, b config.NetworkConnector) bool {
	a.Pos, b.Pos = config.Pos{}, config.Pos{}
	return reflect.DeepEqual(a, b)
}

// discard drops the peer's demand and everything waiting for it at once (the
// bridge's connector was removed).
func (br *Bridge) discard() {
	br.dropPeerState("bridge stopped; dropped the peer's demand and what waited for it")
}
