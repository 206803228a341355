package authz

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"hash"
	"sync"
)

// verifyCacheSize bounds the number of remembered successful verifications.
const verifyCacheSize = 1024

type cacheKey [sha256.Size]byte

// verifyCache remembers successful hash verifications so that a reconnect
// storm costs one bcrypt/argon2 per distinct login rather than one per
// connection. Entries are HMAC-SHA256 digests of (user, password, stored hash)
// under a random key made when the cache is created: plain passwords are
// never stored, and the digests are useless outside this process.
//
// Concurrent verifications of the same login wait for the first one instead of
// hashing again. Failed verifications are not remembered.
type verifyCache struct {
	pool sync.Pool // of hash.Hash (keyed HMAC)

	mu       sync.Mutex // guards everything below
	ok       map[cacheKey]struct{}
	ring     [verifyCacheSize]cacheKey // insertion order, for FIFO eviction
	next     int                       // next ring slot to write
	inflight map[cacheKey]*flight
}

// flight is one verification in progress; done is closed when ok is set.
type flight struct {
	done    chan struct{}
	ok      bool
	waiters int // callers waiting on done; guarded by verifyCache.mu
}

func newVerifyCache() *verifyCache {
	key := make([]byte, 32)
	_, _ = rand.Read(key) // crypto/rand.Read never fails (it aborts the process instead)
	c := &verifyCache{ok: make(map[cacheKey]struct{}), inflight: make(map[cacheKey]*flight)}
	c.pool.New = func() any { return hmac.New(sha256.New, key) }
	return c
}

// key returns the HMAC of the login. Fields are length-prefixed so that no two
// different triples share an input.
func (c *verifyCache) key(user, password, stored string) cacheKey {
	m := c.pool.Get().(hash.Hash)
	m.Reset()
	var n [8]byte
	for _, s := range [...]string{user, password, stored} {
		binary.BigEndian.PutUint64(n[:], uint64(len(s)))
		m.Write(n[:])
		m.Write([]byte(s))
	}
	var k cacheKey
	m.Sum(k[:0])
	c.pool.Put(m)
	return k
}

// check verifies password for user against stored with h, using the cache.
func (c *verifyCache) check(user, password, stored string, h hasher) bool {
	k := c.key(user, password, stored)
	c.mu.Lock()
	if _, ok := c.ok[k]; ok {
		c.mu.Unlock()
		return true
	}
	if f := c.inflight[k]; f != nil {
		f.waiters++
		c.mu.Unlock()
		<-f.done
		return f.ok
	}
	f := &flight{done: make(chan struct{})}
	c.inflight[k] = f
	c.mu.Unlock()

	f.ok = h.verify(password)

	c.mu.Lock()
	delete(c.inflight, k)
	if f.ok {
		c.addLocked(k)
	}
	c.mu.Unlock()
	close(f.done)
	return f.ok
}

// addLocked inserts k, evicting the oldest entry when full. c.mu is held.
func (c *verifyCache) addLocked(k cacheKey) {
	if _, ok := c.ok[k]; ok {
		return
	}
	if len(c.ok) >= verifyCacheSize {
		delete(c.ok, c.ring[c.next])
	}
	c.ring[c.next] = k
	c.next = (c.next + 1) % verifyCacheSize
	c.ok[k] = struct{}{}
}

// waiting returns how many callers wait on verifications in progress (for
// tests).
func (c *verifyCache) waiting() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, f := range c.inflight {
		n += f.waiters
	}
	return n
}

// len returns the number of cached verifications (for tests).
func (c *verifyCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.ok)
}
