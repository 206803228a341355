package authz

import (
	"slices"
	"strings"
)

// Everyone is the group name that matches any identity, anonymous included.
const Everyone = "*"

// groupSet is an immutable set of group names from access lists.
type groupSet struct {
	everyone bool     // "*" was listed
	names    []string // sorted, without duplicates and without "*"
}

// perms holds the groups allowed for each Action.
type perms [numActions]groupSet

// allPerms lets everyone do everything.
var allPerms = perms{{everyone: true}, {everyone: true}, {everyone: true}}

// newGroupSet builds a set from the union of lists.
func newGroupSet(lists ...[]string) groupSet {
	var s groupSet
	for _, l := range lists {
		for _, g := range l {
			g = strings.TrimSpace(g)
			switch g {
			case "":
			case Everyone:
				s.everyone = true
			default:
				s.names = append(s.names, g)
			}
		}
	}
	slices.Sort(s.names)
	s.names = slices.Compact(s.names)
	return s
}

// allows reports whether id is in the set. It does not allocate.
func (s *groupSet) allows(id *Identity) bool {
	if s.everyone {
		return true
	}
	if len(s.names) == 0 {
		return false
	}
	for _, g := range id.Groups {
		if _, ok := slices.BinarySearch(s.names, g); ok {
			return true
		}
	}
	return false
}

// list returns the set's names, with "*" first when present. The result is a
// fresh slice.
func (s *groupSet) list() []string {
	out := make([]string, 0, len(s.names)+1)
	if s.everyone {
		out = append(out, Everyone)
	}
	return append(out, s.names...)
}
