package broker

import (
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/hashi-broker/hashi/authz"
	"github.com/hashi-broker/hashi/broker/dest"
)

// auditLog writes one line per denial with user, client id, action and
// destination. A client that repeats the same denied operation in a tight
// loop gets one line per auditWindow, with the number suppressed in between.
type auditLog struct {
	log  hclog.Logger
	mu   sync.Mutex
	seen map[auditKey]*auditEntry
}

type auditKey struct {
	client string
	act    authz.Action
	d      dest.Destination
}

type auditEntry struct {
	at         time.Time
	suppressed int
}

const auditWindow = 10 * time.Second

func (a *auditLog) init(log hclog.Logger) {
	a.log = log
	a.seen = make(map[auditKey]*auditEntry)
}

// Denied records that id (client clientID, protocol proto) was refused act on d.
func (b *Broker) Denied(proto string, id authz.Identity, clientID string, act authz.Action, d dest.Destination) {
	b.stats.Denied.Add(1)
	a := &b.audit
	now := time.Now()
	k := auditKey{clientID, act, d}
	a.mu.Lock()
	e := a.seen[k]
	if e != nil && now.Sub(e.at) < auditWindow {
		e.suppressed++
		a.mu.Unlock()
		return
	}
	suppressed := 0
	if e != nil {
		suppressed = e.suppressed
	}
	if len(a.seen) > 4096 {
		for k, v := range a.seen {
			if now.Sub(v.at) >= auditWindow {
				delete(a.seen, k)
			}
		}
	}
	a.seen[k] = &auditEntry{at: now}
	a.mu.Unlock()
	args := []any{"user", id.User, "client", clientID, "protocol", proto, "action", act.String(), "destination", d.String()}
	if suppressed > 0 {
		args = append(args, "repeated", suppressed)
	}
	a.log.Warn("denied", args...)
}

// LoginFailed records a refused login.
func (b *Broker) LoginFailed(proto, user, clientID, remote string, err error) {
	b.stats.Denied.Add(1)
	b.audit.log.Warn("login refused", "user", user, "client", clientID, "protocol", proto, "remote", remote, "reason", err.Error())
}
