package server

import (
	"context"
	"crypto/tls"
	"fmt"
	"reflect"
	"strings"
	"time"

	"github.com/hashi-broker/hashi/broker/tlsconf"
	"github.com/hashi-broker/hashi/broker/transport"
	"github.com/hashi-broker/hashi/config"
)

// Changes says what applying a configuration changed.
type Changes struct {
	ConnectorsAdded   []string `json:"transportConnectorsAdded,omitempty"`
	ConnectorsRemoved []string `json:"transportConnectorsRemoved,omitempty"`
	NetworkAdded      []string `json:"networkConnectorsAdded,omitempty"`
	NetworkRemoved    []string `json:"networkConnectorsRemoved,omitempty"`
	NetworkChanged    []string `json:"networkConnectorsChanged,omitempty"`
	Security          bool     `json:"usersAndRights"`
}

func (c *Changes) String() string {
	var parts []string
	add := func(label string, names []string) {
		if len(names) > 0 {
			parts = append(parts, label+" "+strings.Join(names, ","))
		}
	}
	add("transport connectors added:", c.ConnectorsAdded)
	add("transport connectors removed:", c.ConnectorsRemoved)
	add("network connectors added:", c.NetworkAdded)
	add("network connectors removed:", c.NetworkRemoved)
	add("network connectors changed:", c.NetworkChanged)
	if c.Security {
		parts = append(parts, "users, rights and policies reloaded")
	}
	return strings.Join(parts, "; ")
}

// Apply changes the running broker to cfg without a restart: users,
// authorization entries and policies are swapped (clients lose removed
// rights at once), transport connectors are added and removed, network
// connectors added, removed and restarted when changed. Connections and
// bridges the change does not touch stay up. If part of it cannot be applied
// (a port that cannot be bound, bad TLS material, a bad password hash)
// nothing is changed and the error says why. cfg must be valid.
func (s *Server) Apply(cfg *config.Config) (*Changes, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ch := &Changes{Security: true}
	old := map[string]config.TransportConnector{}
	for _, l := range s.listeners {
		old[l.Connector().Name] = l.Connector()
	}
	next := map[string]bool{}
	var started []*transport.Listener
	undo := func() {
		for _, l := range started {
			l.Close(context.Background())
		}
	}
	// Bind new and changed connectors first: a port in use aborts the
	// whole change.
	for _, tc := range cfg.Broker.TransportConnectors {
		if tc.Protocol == config.ProtoAMQP {
			continue
		}
		next[tc.Name] = true
		if o, ok := old[tc.Name]; ok && sameTransport(o, tc) && sameTLS(s.cfg, cfg, tc.TLS) {
			continue
		}
		l, err := s.listen(cfg, tc)
		if err != nil {
			undo()
			return nil, err
		}
		started = append(started, l)
	}
	if err := s.core.Reload(cfg); err != nil {
		undo()
		return nil, err
	}
	// Retire removed and replaced listeners, then serve the new ones.
	keep := s.listeners[:0]
	var retire []*transport.Listener
	for _, l := range s.listeners {
		tc := l.Connector()
		replaced := false
		for _, n := range started {
			if n.Connector().Name == tc.Name {
				replaced = true
			}
		}
		if !next[tc.Name] || replaced {
			retire = append(retire, l)
			if !next[tc.Name] {
				ch.ConnectorsRemoved = append(ch.ConnectorsRemoved, tc.Name)
			}
			continue
		}
		keep = append(keep, l)
	}
	s.listeners = keep
	for _, l := range started {
		s.serve(l)
		ch.ConnectorsAdded = append(ch.ConnectorsAdded, l.Connector().Name)
	}
	for _, l := range retire {
		s.core.CloseConnections(l.Connector().Name, "transport connector "+l.Connector().Name+" removed by a configuration change")
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		l.Close(ctx)
		cancel()
		s.log.Info("transport connector stopped", "name", l.Connector().Name, "addr", l.Addr().String())
	}
	ch.NetworkAdded, ch.NetworkRemoved, ch.NetworkChanged = s.net.Apply(cfg)
	s.cfg = cfg
	s.log.Info("configuration applied", "changes", ch.String())
	return ch, nil
}

// listen binds one transport connector of cfg (not yet serving).
func (s *Server) listen(cfg *config.Config, tc config.TransportConnector) (*transport.Listener, error) {
	var tcfg *tls.Config
	if tc.TLS {
		var err error
		tcfg, err = tlsconf.Server(cfg.Broker.SSLContext, tc.NeedClientAuth, tc.WantClientAuth)
		if err != nil {
			return nil, fmt.Errorf("transport connector %q: %w", tc.Name, err)
		}
	}
	return transport.Listen(tc, tcfg, s.handlers(), s.log.Named("transport"))
}

func sameTransport(a, b config.TransportConnector) bool {
	a.Pos, b.Pos = config.Pos{}, config.Pos{}
	return reflect.DeepEqual(a, b)
}

func sameTLS(a, b *config.Config, tlsOn bool) bool {
	if !tlsOn {
		return true
	}
	return reflect.DeepEqual(stripPos(a.Broker.SSLContext), stripPos(b.Broker.SSLContext))
}

func stripPos(s *config.SSLContext) *config.SSLContext {
	if s == nil {
		return nil
	}
	c := *s
	c.Pos = config.Pos{}
	return &c
}
