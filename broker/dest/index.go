package dest

// Index maps destination patterns to values. It is the one matcher in Hashi:
// subscriptions, retained messages, authorization entries, policy entries and
// bridge demand are all kept in an Index.
//
// Match walks the index with a query that may itself contain wildcards and
// yields every value whose key intersects the query. With concrete keys and a
// wildcard query that is a retained-message lookup; with wildcard keys and a
// concrete query it is delivery or an ACL lookup; with both it answers "could
// this subscription see anything this entry covers".
//
// An Index is not safe for concurrent use; its owner holds a lock.
type Index[T comparable] struct {
	root       node[T]
	hideDollar bool
	size       int
}

type node[T comparable] struct {
	children map[string]*node[T]
	star     *node[T] // key segment "*"
	gt       *node[T] // key segment ">" (a leaf: nothing follows '>')
	values   []T
}

// NewIndex returns an empty index. With hideDollar, a leading wildcard never
// matches a first segment that starts with '$' and vice versa, which is MQTT's
// rule for topics such as $SYS/... [MQTT-4.7.2-1].
func NewIndex[T comparable](hideDollar bool) *Index[T] {
	return &Index[T]{hideDollar: hideDollar}
}

// Len returns the number of (key, value) pairs.
func (x *Index[T]) Len() int { return x.size }

// Add stores v under key. Segments after a '>' are ignored, as ActiveMQ does.
// Adding the same value twice under one key is a no-op and returns false.
func (x *Index[T]) Add(key string, v T) bool {
	n := &x.root
	for seg, rest, more := cut(key); ; seg, rest, more = cut(rest) {
		n = n.child(seg, true)
		if seg == SegGT || !more {
			break
		}
	}
	for _, have := range n.values {
		if have == v {
			return false
		}
	}
	n.values = append(n.values, v)
	x.size++
	return true
}

// Remove deletes v from key and prunes empty nodes. It reports whether v was
// there.
func (x *Index[T]) Remove(key string, v T) bool {
	ok := x.root.remove(key, v)
	if ok {
		x.size--
	}
	return ok
}

// Get returns the values stored under exactly key (no wildcard expansion). The
// slice belongs to the index; copy it before changing the index.
func (x *Index[T]) Get(key string) []T {
	n := &x.root
	for seg, rest, more := cut(key); ; seg, rest, more = cut(rest) {
		n = n.child(seg, false)
		if n == nil {
			return nil
		}
		if seg == SegGT || !more {
			return n.values
		}
	}
}

// Match calls fn for every value whose key intersects query. Each value stored
// under one key is yielded at most once per call.
func (x *Index[T]) Match(query string, fn func(T)) {
	x.root.match(query, true, x.hideDollar, fn)
}

// Collect appends the values Match would yield to dst.
func (x *Index[T]) Collect(query string, dst []T) []T {
	x.Match(query, func(v T) { dst = append(dst, v) })
	return dst
}

// Each calls fn for every value in the index.
func (x *Index[T]) Each(fn func(T)) { x.root.all(fn) }

func (n *node[T]) child(seg string, create bool) *node[T] {
	switch seg {
	case SegStar:
		if n.star == nil && create {
			n.star = &node[T]{}
		}
		return n.star
	case SegGT:
		if n.gt == nil && create {
			n.gt = &node[T]{}
		}
		return n.gt
	}
	c := n.children[seg]
	if c == nil && create {
		if n.children == nil {
			n.children = make(map[string]*node[T])
		}
		c = &node[T]{}
		n.children[seg] = c
	}
	return c
}

func (n *node[T]) empty() bool {
	return len(n.values) == 0 && len(n.children) == 0 && n.star == nil && n.gt == nil
}

func (n *node[T]) remove(key string, v T) bool {
	seg, rest, more := cut(key)
	c := n.child(seg, false)
	if c == nil {
		return false
	}
	var ok bool
	if seg == SegGT || !more {
		for i, have := range c.values {
			if have == v {
				last := len(c.values) - 1
				c.values[i] = c.values[last]
				var zero T
				c.values[last] = zero
				c.values = c.values[:last]
				ok = true
				break
			}
		}
	} else {
		ok = c.remove(rest, v)
	}
	if ok && c.empty() {
		switch seg {
		case SegStar:
			n.star = nil
		case SegGT:
			n.gt = nil
		default:
			delete(n.children, seg)
		}
	}
	return ok
}

func (n *node[T]) yield(fn func(T)) {
	for _, v := range n.values {
		fn(v)
	}
}

func (n *node[T]) all(fn func(T)) {
	n.yield(fn)
	for _, c := range n.children {
		c.all(fn)
	}
	if n.star != nil {
		n.star.all(fn)
	}
	if n.gt != nil {
		n.gt.yield(fn)
	}
}

// allBut yields everything below n like all, but at the root skips literal
// children starting with '$' when hide is set.
func (n *node[T]) allBelow(root, hide bool, fn func(T)) {
	n.yield(fn)
	for k, c := range n.children {
		if root && hide && isDollar(k) {
			continue
		}
		c.all(fn)
	}
	if n.star != nil {
		n.star.all(fn)
	}
	if n.gt != nil {
		n.gt.yield(fn)
	}
}

func isDollar(seg string) bool { return len(seg) > 0 && seg[0] == '$' }

// match walks n with the remaining query; root is true at the index root.
func (n *node[T]) match(query string, root, hide bool, fn func(T)) {
	seg, rest, more := cut(query)
	switch seg {
	case SegGT:
		// The query covers this node and everything below it.
		n.allBelow(root, hide, fn)
		return
	case SegStar:
		for k, c := range n.children {
			if root && hide && isDollar(k) {
				continue
			}
			c.step(rest, more, hide, fn)
		}
		if n.star != nil {
			n.star.step(rest, more, hide, fn)
		}
	default:
		if c := n.children[seg]; c != nil {
			c.step(rest, more, hide, fn)
		}
		if root && hide && isDollar(seg) {
			return
		}
		if n.star != nil {
			n.star.step(rest, more, hide, fn)
		}
	}
	if n.gt != nil {
		// A '>' key covers this segment and anything after it.
		n.gt.yield(fn)
	}
}

// step continues a match below n after one query segment was consumed.
func (n *node[T]) step(rest string, more, hide bool, fn func(T)) {
	if more {
		n.match(rest, false, hide, fn)
		return
	}
	n.yield(fn)
	if n.gt != nil {
		// "a.>" also matches "a" itself.
		n.gt.yield(fn)
	}
}
