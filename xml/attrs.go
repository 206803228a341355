package xml

import (
	"errors"
	"strings"
	"time"

	"github.com/beevik/etree"

	"github.com/hashi-broker/hashi/config"
)

// attrReader reads one element's attributes: placeholders are resolved once,
// typed getters report bad values at the attribute, and finish sorts out the
// attributes nobody asked for (known ones kept, unknown ones warned about).
type attrReader struct {
	l     *loader
	e     *etree.Element
	what  string            // how messages name the element, e.g. `networkConnector "tokyo"`
	raw   map[string]string // as written (entities expanded)
	vals  map[string]string // placeholders resolved
	bad   map[string]bool   // resolution failed (already reported)
	used  map[string]bool
	order []string
}

// attrs resolves every unprefixed attribute of e. Namespace declarations and
// xsi: attributes are ignored; other prefixed attributes get a warning.
func (l *loader) attrs(e *etree.Element, what string) *attrReader {
	a := &attrReader{l: l, e: e, what: what, raw: map[string]string{}, vals: map[string]string{}, bad: map[string]bool{}, used: map[string]bool{}}
	for _, at := range e.Attr {
		switch {
		case at.Space == "" && at.Key == "xmlns", at.Space == "xmlns":
			continue
		case at.Space != "":
			if ns := at.NamespaceURI(); ns != xsiNS {
				l.warnf(l.pos.attr(e, at.Space+":"+at.Key), "%s: attribute %s:%s ignored", what, at.Space, at.Key)
			}
			continue
		}
		if _, dup := a.raw[at.Key]; !dup {
			a.order = append(a.order, at.Key)
		}
		a.raw[at.Key] = at.Value
		v, err := l.res.expand(at.Value)
		if err != nil {
			a.bad[at.Key] = true
			a.vals[at.Key] = at.Value
			l.placeholderErr(l.pos.inValue(e, at.Key, placeholderNeedle(err)), l.pos.attr(e, at.Key), what+": "+at.Key, err)
			continue
		}
		a.vals[at.Key] = v
		if isEncrypted(v) {
			l.warnf(l.pos.attr(e, at.Key), "%s: %s is an encrypted ENC(...) value; jasypt is not supported, the value is used as written", what, at.Key)
		}
	}
	return a
}

// placeholderNeedle is the text to look for to place a placeholder error.
func placeholderNeedle(err error) string {
	var u *errUnresolved
	if errors.As(err, &u) {
		return "${" + u.name
	}
	return "${"
}

// placeholderErr reports a failed expansion at pos (or fallback).
func (l *loader) placeholderErr(pos, fallback config.Pos, what string, err error) {
	if pos.Line == 0 {
		pos = fallback
	}
	l.errorf(pos, "%s: %v", what, err)
}

// pos is the position of attribute name (or of the element).
func (a *attrReader) pos(name string) config.Pos { return a.l.pos.attr(a.e, name) }

// has reports whether the attribute is present.
func (a *attrReader) has(name string) bool {
	_, ok := a.raw[name]
	return ok
}

// str returns the resolved value; ok is false when absent or unresolvable.
func (a *attrReader) str(name string) (string, bool) {
	a.used[name] = true
	v, ok := a.vals[name]
	if !ok || a.bad[name] {
		return "", false
	}
	return v, true
}

// strTo sets *dst when the attribute is present.
func (a *attrReader) strTo(name string, dst *string) bool {
	v, ok := a.str(name)
	if ok {
		*dst = v
	}
	return ok
}

// parse applies fn to the value and reports its error at the attribute.
func (a *attrReader) parse(name string, fn func(string) error) bool {
	v, ok := a.str(name)
	if !ok {
		return false
	}
	if err := fn(v); err != nil {
		a.l.errorf(a.pos(name), "%s: %s: %v", a.what, name, err)
		return false
	}
	return true
}

func (a *attrReader) boolean(name string, dst *bool) bool {
	return a.parse(name, func(v string) error {
		b, err := config.ParseBool(v)
		if err == nil {
			*dst = b
		}
		return err
	})
}

func (a *attrReader) integer(name string, dst *int) bool {
	return a.parse(name, func(v string) error {
		n, err := config.ParseInt(v)
		if err == nil {
			*dst = n
		}
		return err
	})
}

func (a *attrReader) size(name string, dst *int64) bool {
	return a.parse(name, func(v string) error {
		n, err := config.ParseSize(v)
		if err == nil {
			*dst = n
		}
		return err
	})
}

func (a *attrReader) millis(name string, dst *time.Duration) bool {
	return a.parse(name, func(v string) error {
		d, err := config.ParseMillis(v)
		if err == nil {
			*dst = d
		}
		return err
	})
}

// list reads a comma-separated list, each item trimmed (ActiveMQ's
// StringTokenizer: empty items between commas are dropped, blank ones stay
// as "" for Validate to flag).
func (a *attrReader) list(name string) []string {
	v, ok := a.str(name)
	if !ok {
		return nil
	}
	return splitList(v)
}

func splitList(v string) []string {
	var out []string
	for _, s := range strings.Split(v, ",") {
		if s == "" {
			continue
		}
		out = append(out, strings.TrimSpace(s))
	}
	return out
}

// attrKind says how finish treats an attribute nobody read.
type attrKind uint8

const (
	attrKeep    attrKind = iota // known ActiveMQ attribute: keep silently
	attrIgnore                  // known, meaningless for Hashi: drop silently
	attrBool                    // known boolean: check the value, keep
	attrInt                     // known integer: check the value, keep
	attrMillis                  // known duration in ms: check, keep
	attrSize                    // known byte size: check, keep
	attrWarnSet                 // known but not enforced: keep and warn
	attrRef                     // a bean-valued property (Spring "#ref"): warn, drop
)

// finish handles every attribute not read by a getter: known ones are
// checked and kept in extra (which may be nil to drop them), unknown ones
// are warned about (and kept too, so nothing the user wrote disappears).
func (a *attrReader) finish(known map[string]attrKind, extra map[string]string) {
	for _, name := range a.order {
		if a.used[name] || name == "id" {
			continue
		}
		v := a.vals[name]
		kind, ok := known[name]
		if !ok {
			a.l.warnf(a.pos(name), "%s: unknown attribute %s ignored", a.what, name)
			if extra != nil {
				extra[name] = v
			}
			continue
		}
		if !a.bad[name] {
			var scratchB bool
			var scratchI int
			var scratchD time.Duration
			var scratchS int64
			switch kind {
			case attrIgnore:
				continue
			case attrBool:
				a.boolean(name, &scratchB)
			case attrInt:
				a.integer(name, &scratchI)
			case attrMillis:
				a.millis(name, &scratchD)
			case attrSize:
				a.size(name, &scratchS)
			case attrWarnSet:
				a.l.warnf(a.pos(name), "%s: %s is not enforced by Hashi", a.what, name)
			case attrRef:
				a.l.warnf(a.pos(name), "%s: %s=%q: Spring bean references are not supported; write the bean as a nested element; ignored", a.what, name, v)
				continue
			}
		}
		if extra != nil {
			extra[name] = v
		}
	}
}

// kinds builds a known-attribute table from names per kind.
func kinds(groups map[attrKind][]string) map[string]attrKind {
	m := map[string]attrKind{}
	for k, names := range groups {
		for _, n := range names {
			m[n] = k
		}
	}
	return m
}
