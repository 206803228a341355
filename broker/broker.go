// Package broker is Hashi's core: one destination space shared by every
// protocol. MQTT sessions, STOMP connections and network bridges are all
// clients of the same small API: Subscribe, Unsubscribe, Publish, and the
// queue operations. Protocol codecs and transports live in sub-packages and
// never reach into the core's structures.
package broker

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/hashi-broker/hashi/authz"
	"github.com/hashi-broker/hashi/broker/dest"
	"github.com/hashi-broker/hashi/config"
)

// ErrClosed is returned by operations on a broker that is shutting down.
var ErrClosed = errors.New("broker: shutting down")

// Broker is the core of one Hashi broker.
type Broker struct {
	log  hclog.Logger
	name string
	cfg  atomic.Pointer[config.Config]
	sec  atomic.Pointer[security]

	topics topicSpace
	queues queueSpace
	audit  auditLog
	tags   atomic.Uint64 // queue delivery tags
	demand demandWatchers
	rates  rates
	id     string // brokerName plus a per-process random part: unique in a network

	// The counters every publish writes get cache lines of their own. Next
	// to id, which a bridge's writer reads for every record it encodes,
	// they cost the publishing core a cache miss per message (5% of a
	// bridging broker's CPU).
	_       [64]byte
	seq     atomic.Uint64
	connSeq atomic.Uint64
	stats   Stats
	_       [64]byte
	started time.Time

	conns connRegistry
	group Group
}

// New builds a broker core from a validated configuration. It starts no
// listeners: see broker/server for the assembly of listeners and protocols.
func New(cfg *config.Config, log hclog.Logger) (*Broker, error) {
	if log == nil {
		log = hclog.NewNullLogger()
	}
	b := &Broker{log: log, name: cfg.Broker.Name, started: time.Now()}
	if b.name == "" {
		b.name = "localhost"
	}
	var rnd [4]byte
	rand.Read(rnd[:])
	b.id = b.name + "-" + hex.EncodeToString(rnd[:])
	b.cfg.Store(cfg)
	sec, err := newSecurity(cfg, 1)
	if err != nil {
		return nil, err
	}
	b.sec.Store(sec)
	b.topics.init(cfg)
	b.queues.init(cfg)
	b.audit.init(log.Named("audit"))
	b.conns.init()
	b.group.init()
	for _, r := range cfg.Broker.Destinations {
		if r.Dest.Kind == dest.Queue {
			b.CreateQueue(r.Dest)
		}
	}
	b.Go(b.housekeeping)
	if period := cfg.Broker.SchedulePeriodForDestinationPurge; period > 0 {
		b.Go(func(ctx context.Context) { b.purgeLoop(ctx, period) })
	}
	return b, nil
}

// purgeLoop sweeps inactive destinations every schedulePeriodForDestinationPurge.
func (b *Broker) purgeLoop(ctx context.Context, period time.Duration) {
	t := time.NewTicker(period)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			b.gcQueues(now, b.Config().Broker.MaxPurgedDestinationsPerSweep)
		}
	}
}

// Name is the brokerName.
func (b *Broker) Name() string { return b.name }

// ID identifies this broker process in a network: the brokerName plus a
// random part, so two brokers configured with the same name still differ.
func (b *Broker) ID() string { return b.id }

// MessageID returns m's id, "ID:<broker id>-<seq>" unless it arrived with one.
func (b *Broker) MessageID(m *Message) string { return m.ID(b.id) }

// Log is the broker's root logger.
func (b *Broker) Log() hclog.Logger { return b.log }

// Config is the configuration currently applied.
func (b *Broker) Config() *config.Config { return b.cfg.Load() }

// Started is when the broker core was created.
func (b *Broker) Started() time.Time { return b.started }

// Go runs fn in a goroutine that Shutdown waits for. fn must return when ctx
// is done.
func (b *Broker) Go(fn func(ctx context.Context)) { b.group.Go(fn) }

// Context is done when the broker shuts down.
func (b *Broker) Context() context.Context { return b.group.ctx }

// NextConnID returns a new broker-unique connection id.
func (b *Broker) NextConnID() uint64 { return b.connSeq.Add(1) }

// Shutdown stops the broker's own goroutines and waits for them, or until ctx
// is done.
func (b *Broker) Shutdown(ctx context.Context) error {
	return b.group.Stop(ctx)
}

// Reload applies a new configuration's users, authorization entries and
// destination policies. The running configuration is left untouched when the
// new one cannot be applied.
func (b *Broker) Reload(cfg *config.Config) error {
	old := b.sec.Load()
	sec, err := newSecurity(cfg, old.gen+1)
	if err != nil {
		return err
	}
	b.cfg.Store(cfg)
	b.topics.setPolicy(cfg)
	b.queues.setVirtualTopics(cfg)
	b.queues.mu.RLock()
	for _, q := range b.queues.byName {
		q.mu.Lock()
		q.applyPolicy(b.topics.pol.entry(q.d), cfg)
		q.mu.Unlock()
	}
	b.queues.mu.RUnlock()
	b.sec.Store(sec)
	b.revoke()
	b.log.Info("configuration reloaded", "users", sec.users, "acl_entries", sec.entries)
	return nil
}

// Group owns goroutines: every long-lived goroutine of the broker is started
// through one, and Stop waits for all of them.
type Group struct {
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

func (g *Group) init() { g.ctx, g.cancel = context.WithCancel(context.Background()) }

// Go starts fn; fn must return once ctx is done.
func (g *Group) Go(fn func(ctx context.Context)) {
	g.wg.Add(1)
	go func() {
		defer g.wg.Done()
		fn(g.ctx)
	}()
}

// Stop cancels the group's context and waits for its goroutines or ctx.
func (g *Group) Stop(ctx context.Context) error {
	g.cancel()
	done := make(chan struct{})
	go func() { g.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Stats are broker-wide counters.
type Stats struct {
	Published    atomic.Uint64 // messages accepted by Publish
	Delivered    atomic.Uint64 // message copies handed to subscribers
	Dropped      atomic.Uint64 // copies discarded by a slow-consumer policy or limit
	Denied       atomic.Uint64 // operations refused by authorization
	NoSubscriber atomic.Uint64 // topic messages nobody subscribed to
	FlowWaits    atomic.Uint64 // reliable publishes that waited for a congested receiver
}

// Stats returns the broker's counters.
func (b *Broker) Stats() *Stats { return &b.stats }

// security is what one configuration says about users and rights. It is
// swapped as a whole on reload; gen lets per-connection caches notice.
type security struct {
	authn   *authz.Authenticator
	authz   *authz.Authorizer
	gen     uint64
	users   int
	entries int
}

func newSecurity(cfg *config.Config, gen uint64) (*security, error) {
	an, err := authz.NewAuthenticator(cfg.Broker.Authentication)
	if err != nil {
		return nil, err
	}
	s := &security{authn: an, authz: authz.NewAuthorizer(cfg.Broker.Authorization), gen: gen}
	if a := cfg.Broker.Authentication; a != nil {
		s.users = len(a.Users)
	}
	if z := cfg.Broker.Authorization; z != nil {
		s.entries = len(z.Entries)
	}
	return s, nil
}

// Authenticate checks a login against the configured users.
func (b *Broker) Authenticate(username, password string, hasUsername bool) (authz.Identity, error) {
	return b.sec.Load().authn.Authenticate(username, password, hasUsername)
}

// Allowed reports whether id may perform act on d.
func (b *Broker) Allowed(id authz.Identity, act authz.Action, d dest.Destination) bool {
	return b.sec.Load().authz.Allowed(id, act, d)
}

// AuthzEnabled reports whether an authorization plugin is configured.
func (b *Broker) AuthzEnabled() bool { return b.sec.Load().authz.Enabled() }

// SecurityGen changes whenever users or rights are reloaded; connections use
// it to invalidate their permission caches.
func (b *Broker) SecurityGen() uint64 { return b.sec.Load().gen }
