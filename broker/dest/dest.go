// Package dest holds Hashi's destination names and the one wildcard index that
// serves delivery, retained-message lookup, authorization and bridge demand.
//
// Names follow ActiveMQ: segments separated by '.', '*' matches exactly one
// segment, '>' matches zero or more trailing segments. Queues, topics and their
// temporary variants are separate namespaces. MQTT topics map onto topic names by
// swapping characters ('/'<->'.', '+'<->'*', '#'<->'>'), STOMP destinations by
// their /queue/ and /topic/ prefixes.
//
// The package is a leaf: it imports nothing from the rest of Hashi.
package dest

import (
	"errors"
	"fmt"
	"strings"
)

// Kind says which namespace a destination lives in.
type Kind uint8

const (
	Topic Kind = iota
	Queue
	TempTopic
	TempQueue
)

// Kinds lists every kind, for loops over the four namespaces.
var Kinds = [...]Kind{Topic, Queue, TempTopic, TempQueue}

func (k Kind) String() string {
	switch k {
	case Topic:
		return "topic"
	case Queue:
		return "queue"
	case TempTopic:
		return "temp-topic"
	case TempQueue:
		return "temp-queue"
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

// IsTemp reports whether k is a temporary namespace.
func (k Kind) IsTemp() bool { return k == TempTopic || k == TempQueue }

// IsQueue reports whether k has point-to-point semantics.
func (k Kind) IsQueue() bool { return k == Queue || k == TempQueue }

// Destination is a kind and an ActiveMQ-style name, possibly with wildcards.
type Destination struct {
	Kind Kind
	Name string
}

// T and Q are shorthands for topic and queue destinations.
func T(name string) Destination { return Destination{Topic, name} }
func Q(name string) Destination { return Destination{Queue, name} }

// String renders the destination with ActiveMQ's qualified prefix,
// e.g. "topic://devices.42.state".
func (d Destination) String() string { return d.Kind.String() + "://" + d.Name }

// IsWildcard reports whether the name contains a '*' or '>' segment.
func (d Destination) IsWildcard() bool { return IsWildcard(d.Name) }

// Errors returned by the parsers.
var (
	ErrEmpty       = errors.New("dest: empty destination name")
	ErrBadWildcard = errors.New("dest: '>' must be the last segment")
	ErrBadPrefix   = errors.New("dest: destinations must begin with one of /queue/ /topic/ /temp-queue/ /temp-topic/")
)

// IsWildcard reports whether name has a segment that is exactly "*" or ">".
func IsWildcard(name string) bool {
	for seg, rest, more := cut(name); ; seg, rest, more = cut(rest) {
		if seg == SegStar || seg == SegGT {
			return true
		}
		if !more {
			return false
		}
	}
}

// ValidatePattern checks a (possibly wildcard) name: it must not be empty and
// '>' may only be the last segment.
func ValidatePattern(name string) error {
	if name == "" {
		return ErrEmpty
	}
	for seg, rest, more := cut(name); more; seg, rest, more = cut(rest) {
		if seg == SegGT {
			return fmt.Errorf("%w: %q", ErrBadWildcard, name)
		}
	}
	return nil
}

// Parse reads a qualified destination such as "queue://orders" or
// "topic://a.b"; a bare name gets kind def.
func Parse(s string, def Kind) (Destination, error) {
	for _, k := range Kinds {
		if rest, ok := strings.CutPrefix(s, k.String()+"://"); ok {
			if rest == "" {
				return Destination{}, ErrEmpty
			}
			return Destination{k, rest}, nil
		}
	}
	if s == "" {
		return Destination{}, ErrEmpty
	}
	return Destination{def, s}, nil
}

// ParseList splits a composite destination "a,b,topic://c" into its parts; parts
// without a prefix get kind def.
func ParseList(s string, def Kind) ([]Destination, error) {
	parts := strings.Split(s, ",")
	out := make([]Destination, 0, len(parts))
	for _, p := range parts {
		d, err := Parse(strings.TrimSpace(p), def)
		if err != nil {
			return nil, fmt.Errorf("in %q: %w", s, err)
		}
		out = append(out, d)
	}
	return out, nil
}

// MarshalText renders the qualified form ("queue://orders"), so JSON shows
// destinations as strings.
func (d Destination) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText parses the qualified form; a bare name is a topic.
func (d *Destination) UnmarshalText(b []byte) error {
	p, err := Parse(string(b), Topic)
	if err != nil {
		return err
	}
	*d = p
	return nil
}
