// Package network links Hashi brokers into a network, the ActiveMQ way:
// <networkConnector> elements open bridges to other brokers (static: one
// per URI, masterslave: one that reaches whichever of a pair answers),
// optionally duplex. Bridges forward messages only where the other side has
// consumers, never in loops, and keep reliable messages through outages.
//
// A bridge is one more kind of client of the broker core: it subscribes
// (network subscriptions and queue consumers standing for the peer's
// consumers) and publishes what the peer forwards, through the same API as
// MQTT and STOMP sessions. The wire contract is STOMP 1.2 (see
// docs/network-protocol.md), so a bridge reaches the remote broker through
// its ordinary STOMP or auto-detecting listener.
package network

import (
	"context"
	"net"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-stomp/stomp/v3/frame"
	"github.com/hashicorp/go-hclog"

	"github.com/hashi-broker/hashi/authz"
	"github.com/hashi-broker/hashi/broker"
	"github.com/hashi-broker/hashi/broker/dest"
	wire "github.com/hashi-broker/hashi/broker/stomp/frame"
	"github.com/hashi-broker/hashi/config"
)

// Down is the state of a responder bridge whose initiator is away.
const Down State = "down"

// Manager runs a broker's network connectors and accepts bridges from
// other brokers.
type Manager struct {
	b   *broker.Broker
	log hclog.Logger

	mu      sync.Mutex
	cfg     *config.Config
	bridges map[string]*Bridge
	dialers map[string]*dialer // by bridge key
	warned  sync.Map
	reports peerReports

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// New returns a manager for b; Start dials the configured connectors.
func New(b *broker.Broker, cfg *config.Config, log hclog.Logger) *Manager {
	m := &Manager{b: b, log: log, cfg: cfg, bridges: map[string]*Bridge{}, dialers: map[string]*dialer{}}
	m.ctx, m.cancel = context.WithCancel(context.Background())
	return m
}

// Start begins dialing every network connector's bridges.
func (m *Manager) Start() {
	m.mu.Lock()
	defer m.mu.Unlock()
	for i := range m.cfg.Broker.NetworkConnectors {
		nc := m.cfg.Broker.NetworkConnectors[i]
		m.startConnectorLocked(nc)
	}
}

func (m *Manager) startConnectorLocked(nc config.NetworkConnector) {
	plans := nc.Bridges
	if len(plans) == 0 {
		for _, p := range nc.Peers {
			plans = append(plans, []string{p})
		}
	}
	for i, plan := range plans {
		key := nc.Name
		if len(plans) > 1 {
			key += "#" + strconv.Itoa(i+1)
		}
		br := newBridge(m, nc.Name, key, rulesFrom(&nc), nc.Duplex, false, nc.DemandGrace)
		br.addr = strings.Join(plan, ",")
		ctx, cancel := context.WithCancel(m.ctx)
		d := &dialer{m: m, nc: nc, plan: plan, br: br, cancel: cancel}
		m.bridges[key] = br
		m.dialers[key] = d
		m.wg.Add(1)
		go func() {
			defer m.wg.Done()
			d.run(ctx)
		}()
	}
	m.log.Info("network connector started", "name", nc.Name, "uri", nc.URI, "bridges", len(plans), "duplex", nc.Duplex)
}

// Stop closes every bridge and waits for the dialers, or ctx.
func (m *Manager) Stop(ctx context.Context) error {
	m.cancel()
	m.mu.Lock()
	for _, br := range m.bridges {
		br.mu.Lock()
		if l := br.link; l != nil {
			l.push(frame.New(frame.DISCONNECT))
			l.close("broker shutting down")
		}
		br.mu.Unlock()
	}
	m.mu.Unlock()
	done := make(chan struct{})
	go func() { m.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Bridges returns every bridge's figures, sorted by name.
func (m *Manager) Bridges() []Info {
	m.mu.Lock()
	brs := make([]*Bridge, 0, len(m.bridges))
	for _, br := range m.bridges {
		brs = append(brs, br)
	}
	m.mu.Unlock()
	out := make([]Info, len(brs))
	for i, br := range brs {
		out[i] = br.Info()
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// warnOnce logs a warning the first time key is seen.
func (m *Manager) warnOnce(key, msg string, args ...any) {
	if _, loaded := m.warned.LoadOrStore(key, true); !loaded {
		m.log.Warn(msg, args...)
	}
}

// duplexConflict decides between two duplex links to the same broker: the
// one initiated by the broker with the smaller id wins, on both ends, so a
// pair configured with duplex connectors to each other ends up with one
// path. It returns the bridge to close, or nil. m.mu must be held.
func (m *Manager) duplexConflict(peerID string, initiatedByUs bool) (loser *Bridge, weLose bool) {
	for _, br := range m.bridges {
		br.mu.Lock()
		up := br.link != nil && br.duplex.Load() && br.remote.id == peerID
		theirs := br.responder
		br.mu.Unlock()
		if !up || theirs == !initiatedByUs {
			continue
		}
		// br is a duplex link to the same peer in the other direction.
		winnerIsUs := m.b.ID() < peerID
		newIsOurs := initiatedByUs
		if winnerIsUs == newIsOurs {
			return br, false // the new link wins; close the old one
		}
		return nil, true
	}
	return nil, false
}

// loseDuplexRace re-checks, once l is registered, for a duplex link in the
// other direction that registered meanwhile (both brokers dialed at the same
// moment and each accepted before seeing its own link): it closes the rival
// when l wins and reports whether l loses. Both ends apply the same rule.
// When l wins, rival bridges whose link is already gone drop what they held
// for the peer too: l carries that traffic now.
func (m *Manager) loseDuplexRace(l *link) bool {
	m.mu.Lock()
	loser, weLose := m.duplexConflict(l.peer.id, l.initiator)
	var stale []*Bridge
	if !weLose {
		for _, br := range m.bridges {
			br.mu.Lock()
			if br != l.br && br.duplex.Load() && br.link == nil && br.responder == l.initiator && br.remote.id == l.peer.id {
				stale = append(stale, br)
			}
			br.mu.Unlock()
		}
	}
	m.mu.Unlock()
	if loser != nil {
		loser.supersede("superseded by " + l.br.key)
	}
	for _, br := range stale {
		br.dropPeerState("")
	}
	return weLose
}

// Accept is called by the STOMP server for a CONNECT carrying hashi-bridge:
// it answers CONNECTED (or ERROR) and runs the responder end of the bridge
// until the link ends. r is the connection's frame reader (it may hold
// buffered bytes); id is the authenticated bridge user.
func (m *Manager) Accept(nc net.Conn, r *wire.Reader, connect *frame.Frame, id authz.Identity) {
	h := connect.Header
	peer := peerInfo{name: h.Get(hBroker), id: h.Get(hBrokerID)}
	refuse := func(msg string, code ...string) {
		m.log.Warn("refusing network bridge", "remote", peer.name, "addr", nc.RemoteAddr().String(), "reason", msg)
		e := frame.New(frame.ERROR, frame.Message, msg)
		if len(code) > 0 {
			e.Header.Add(hRefused, code[0])
		}
		nc.Write(wire.Append(nil, e, "1.2"))
		nc.Close()
	}
	switch {
	case h.Get(hBridge) != ProtocolVersion:
		refuse("unsupported bridge protocol " + strconv.Quote(h.Get(hBridge)) + " (this broker speaks " + ProtocolVersion + "; both ends of a bridge must run the same Hashi protocol)")
		return
	case peer.id == "" || peer.name == "":
		refuse("bridge CONNECT without broker identity")
		return
	case peer.id == m.b.ID():
		refuse("a network connector of this broker points at the broker itself", refusedSelf)
		return
	}
	duplex := h.Get(hDuplex) == "true"
	connector := h.Get(hConnector)
	key := connector + "@" + peer.name

	m.mu.Lock()
	if duplex {
		loser, weLose := m.duplexConflict(peer.id, false)
		if weLose {
			m.mu.Unlock()
			refuse("duplicate duplex bridge: " + m.b.Name() + " already bridges to " + peer.name + " with a duplex connector it initiated; configure duplex on one side only")
			return
		}
		if loser != nil {
			m.log.Warn("two duplex bridges between the same brokers; keeping the one the broker with the smaller id initiated", "closing", loser.key, "keeping", key)
			loser.supersede("superseded by " + key)
		}
	}
	br := m.bridges[key]
	if br == nil || !br.responder {
		br = newBridge(m, connector, key, rulesFromHeaders(connect), duplex, true, graceFrom(connect))
		m.bridges[key] = br
	} else {
		br.mu.Lock()
		br.rules = rulesFromHeaders(connect)
		br.duplex.Store(duplex)
		br.mu.Unlock()
	}
	m.mu.Unlock()

	ok := frame.New(frame.CONNECTED, frame.Version, "1.2", frame.Server, "Hashi", frame.HeartBeat, hbHeader(),
		hBridge, ProtocolVersion, hBroker, m.b.Name(), hBrokerID, m.b.ID())
	if r.MaxFrameSize > 0 {
		ok.Header.Add(hMaxFrame, strconv.Itoa(r.MaxFrameSize))
	}
	nc.SetWriteDeadline(time.Now().Add(5 * time.Second))
	if _, err := nc.Write(wire.Append(nil, ok, "1.2")); err != nil {
		nc.Close()
		return
	}
	nc.SetWriteDeadline(time.Time{})
	r.Version = "1.2"
	l := newLink(br, nc, r, false, peer)
	l.ident = id
	l.log.Info("accepted network bridge", "created_by_duplex", duplex, "user", id.User)
	if err := l.run(); err != errSuperseded {
		br.setState(Down, errString(err))
	}
}

func hbHeader() string {
	ms := strconv.FormatInt(heartBeat.Milliseconds(), 10)
	return ms + "," + ms
}

// closeLink ends the current link, if any.
func (br *Bridge) closeLink(reason string) {
	br.mu.Lock()
	l := br.link
	br.mu.Unlock()
	if l != nil {
		l.push(frame.New(frame.DISCONNECT))
		l.close(reason)
	}
}

// supersede ends the current link because a duplex link in the other
// direction carries this peer's traffic from now on: the peer's demand and
// the messages kept for it go at once (the other bridge has its own), so
// nothing waits here to be sent twice should this bridge come up again.
func (br *Bridge) supersede(reason string) {
	br.mu.Lock()
	l := br.link
	br.mu.Unlock()
	if l != nil {
		l.dropPeer.Store(true)
		l.push(frame.New(frame.DISCONNECT))
		l.close(reason)
	}
}

// rulesFromHeaders reads the initiator's rules from its CONNECT: a duplex
// responder forwards by the same rules.
func rulesFromHeaders(f *frame.Frame) rules {
	h := f.Header
	atoi := func(k string, def int) int {
		if n, err := strconv.Atoi(h.Get(k)); err == nil {
			return n
		}
		return def
	}
	r := rules{
		messageTTL: atoi(hMsgTTL, 1), consumerTTL: atoi(hConsTTL, 1), conduit: h.Get(hConduit) != "false",
		prefetch: atoi(hPrefetch, 1000), decreasePrio: h.Get(hDecPrio) != "false",
		bridgeTemps: h.Get(hTemps) != "false", staticBridge: h.Get(hStatic) == "true",
		excluded: destList(h.Get(hExcluded)), dynamic: destList(h.Get(hDynamic)), static: destList(h.Get(hStaticInc)),
	}
	if r.prefetch <= 0 {
		r.prefetch = 1000
	}
	return r
}

// addHeaders writes r into a bridge CONNECT, for the responder's
// rulesFromHeaders.
func (r *rules) addHeaders(f *frame.Frame) {
	f.Header.Add(hMsgTTL, strconv.Itoa(r.messageTTL))
	f.Header.Add(hConsTTL, strconv.Itoa(r.consumerTTL))
	f.Header.Add(hConduit, strconv.FormatBool(r.conduit))
	f.Header.Add(hPrefetch, strconv.Itoa(r.prefetch))
	f.Header.Add(hDecPrio, strconv.FormatBool(r.decreasePrio))
	f.Header.Add(hTemps, strconv.FormatBool(r.bridgeTemps))
	f.Header.Add(hStatic, strconv.FormatBool(r.staticBridge))
	f.Header.Add(hExcluded, qualifiedList(r.excluded))
	f.Header.Add(hDynamic, qualifiedList(r.dynamic))
	f.Header.Add(hStaticInc, qualifiedList(r.static))
}

func graceFrom(f *frame.Frame) time.Duration {
	if ms, err := strconv.ParseInt(f.Header.Get(hGrace), 10, 64); err == nil && ms > 0 {
		return time.Duration(ms) * time.Millisecond
	}
	return 60 * time.Second
}

func destList(s string) []dest.Destination {
	var out []dest.Destination
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p == "" {
			continue
		}
		if d, err := dest.Parse(p, dest.Queue); err == nil {
			out = append(out, d)
		}
	}
	return out
}

func qualifiedList(ds []dest.Destination) string {
	s := make([]string, len(ds))
	for i, d := range ds {
		s[i] = d.String()
	}
	return strings.Join(s, ",")
}
