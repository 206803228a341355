package authz

import (
	"github.com/hashi-broker/hashi/broker/dest"
	"github.com/hashi-broker/hashi/config"
)

// aclCacheSize bounds the per-Authorizer cache of resolved access lists.
const aclCacheSize = 4096

// Authorizer answers whether an identity may perform an action on a
// destination, with the semantics of ActiveMQ's authorizationPlugin:
//
//   - the groups allowed to do an action on a destination are the union of that
//     action's list over every entry of the destination's kind whose pattern
//     matches the destination, plus the default entry; nothing subtracts rights;
//   - no matching entry means nobody is allowed;
//   - the group "*" admits every identity, anonymous included; "all" is an
//     ordinary group name;
//   - temporary destinations use the temp entry's lists, or are open to all
//     when there is no temp entry;
//   - queue and topic entries live in separate indexes.
//
// A wildcard destination (a subscription to "devices.>") is checked against
// every entry whose pattern intersects it, without expanding the wildcard.
// Composite destinations are the caller's business (check each part).
//
// ActiveMQ refuses every operation with ErrNotAuthenticated when an
// authorization plugin is configured without an authentication plugin; the
// broker, which knows both, applies that rule.
type Authorizer struct {
	enabled bool
	trees   [2]*dest.Index[*aclEntry] // by treeOf(kind)
	def     *perms                    // defaultEntry, nil if none
	temp    *perms                    // temp destinations; nil = open to all
	cache   aclCache
}

// aclEntry is one authorizationEntry in an index.
type aclEntry struct {
	read, write, admin []string
}

// NewAuthorizer builds an Authorizer; z == nil (no plugin) allows everything.
// Entries for temporary kinds are ignored, as in ActiveMQ: temporary
// destinations are governed by the temp entry only.
func NewAuthorizer(z *config.Authorization) *Authorizer {
	if z == nil {
		return &Authorizer{}
	}
	a := &Authorizer{enabled: true}
	a.cache.init(aclCacheSize)
	for i := range a.trees {
		a.trees[i] = dest.NewIndex[*aclEntry](false)
	}
	for _, e := range z.Entries {
		t, ok := treeOf(e.Dest.Kind)
		if !ok || e.Dest.Name == "" {
			continue
		}
		a.trees[t].Add(e.Dest.Name, &aclEntry{read: e.Read, write: e.Write, admin: e.Admin})
	}
	if z.Default != nil {
		p := permsOf(z.Default.Read, z.Default.Write, z.Default.Admin)
		a.def = &p
	}
	if z.Temp != nil {
		p := permsOf(z.Temp.Read, z.Temp.Write, z.Temp.Admin)
		a.temp = &p
	}
	return a
}

func permsOf(read, write, admin []string) perms {
	return perms{Read: newGroupSet(read), Write: newGroupSet(write), Admin: newGroupSet(admin)}
}

// treeOf maps a non-temporary kind to its index.
func treeOf(k dest.Kind) (int, bool) {
	switch k {
	case dest.Topic:
		return 0, true
	case dest.Queue:
		return 1, true
	}
	return 0, false
}

// Enabled reports whether an authorization plugin is configured.
func (a *Authorizer) Enabled() bool { return a != nil && a.enabled }

// Allowed reports whether id may do act on d. d may contain wildcards. A
// repeated check of the same destination is a cache hit and does not
// allocate.
func (a *Authorizer) Allowed(id Identity, act Action, d dest.Destination) bool {
	if !a.Enabled() {
		return true
	}
	if act >= numActions {
		return false
	}
	p := a.lookup(d)
	return p[act].allows(&id)
}

// Describe returns the groups allowed to read, write and administer d, "*"
// first when everyone is. With authorization disabled, and for temporary
// destinations without a temp entry, every list is ["*"].
func (a *Authorizer) Describe(d dest.Destination) (read, write, admin []string) {
	p := &allPerms
	if a.Enabled() {
		p = a.lookup(d)
	}
	return p[Read].list(), p[Write].list(), p[Admin].list()
}

// lookup returns the effective permissions for d.
func (a *Authorizer) lookup(d dest.Destination) *perms {
	if d.Kind.IsTemp() {
		if a.temp == nil {
			return &allPerms
		}
		return a.temp
	}
	if p := a.cache.get(d); p != nil {
		return p
	}
	p := a.resolve(d)
	a.cache.put(d, p)
	return p
}

// resolve computes the union of every entry intersecting d, plus the default.
func (a *Authorizer) resolve(d dest.Destination) *perms {
	var read, write, admin [][]string
	if t, ok := treeOf(d.Kind); ok {
		a.trees[t].Match(d.Name, func(e *aclEntry) {
			read = append(read, e.read)
			write = append(write, e.write)
			admin = append(admin, e.admin)
		})
	}
	p := &perms{Read: newGroupSet(read...), Write: newGroupSet(write...), Admin: newGroupSet(admin...)}
	if a.def != nil {
		for i := range p {
			p[i] = union(p[i], a.def[i])
		}
	}
	return p
}

func union(x, y groupSet) groupSet {
	s := newGroupSet(x.names, y.names)
	s.everyone = x.everyone || y.everyone
	return s
}
