package authz

import (
	"strings"
	"sync"

	"github.com/hashi-broker/hashi/broker/dest"
)

// aclCache maps destinations to their resolved permissions. It is bounded:
// when full, an arbitrary entry is dropped (Go's map iteration order is
// randomized). Entries never go stale because an Authorizer never changes.
type aclCache struct {
	mu  sync.RWMutex // guards m
	m   map[dest.Destination]*perms
	max int
}

func (c *aclCache) init(max int) {
	c.m = make(map[dest.Destination]*perms)
	c.max = max
}

func (c *aclCache) get(d dest.Destination) *perms {
	c.mu.RLock()
	p := c.m[d]
	c.mu.RUnlock()
	return p
}

func (c *aclCache) put(d dest.Destination, p *perms) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.m[d]; ok {
		return
	}
	if len(c.m) >= c.max {
		for k := range c.m {
			delete(c.m, k)
			break
		}
	}
	d.Name = strings.Clone(d.Name) // do not pin the caller's buffer
	c.m[d] = p
}

func (c *aclCache) len() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.m)
}
