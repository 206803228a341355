package xml

import (
	"github.com/beevik/etree"

	"github.com/hashi-broker/hashi/broker/dest"
	"github.com/hashi-broker/hashi/config"
)

// kindOf maps an element name to a destination kind.
func kindOf(tag string) (dest.Kind, bool) {
	switch tag {
	case "queue":
		return dest.Queue, true
	case "topic":
		return dest.Topic, true
	case "tempQueue":
		return dest.TempQueue, true
	case "tempTopic":
		return dest.TempTopic, true
	}
	return 0, false
}

func destOf(k dest.Kind, name string) dest.Destination { return dest.Destination{Kind: k, Name: name} }

// destinationInterceptors reads <destinationInterceptors>: the
// virtualDestinationInterceptor's virtual topics (enforced) and composite
// destinations (parsed, not enforced yet).
func (l *loader) destinationInterceptors(e *etree.Element, b *config.Broker) {
	for _, c := range l.children(e) {
		switch c.Tag {
		case "virtualDestinationInterceptor":
			l.sawVirtualInterceptor = true
			l.attrs(c, "virtualDestinationInterceptor").finish(nil, nil)
			for _, vd := range l.children(c) {
				if vd.Tag != "virtualDestinations" {
					l.warnf(l.pos.elem(vd), "unknown element <%s> in <virtualDestinationInterceptor>; ignored", vd.Tag)
					continue
				}
				for _, v := range l.children(vd) {
					switch v.Tag {
					case "virtualTopic":
						l.virtualTopic(v, b)
					case "compositeQueue", "compositeTopic":
						l.composite(v, b)
					default:
						l.warnf(l.pos.elem(v), "unknown element <%s> in <virtualDestinations>; ignored", v.Tag)
					}
				}
			}
		case "mirroredQueue":
			l.warnf(l.pos.elem(c), "<mirroredQueue> not supported; ignored")
		default:
			l.warnf(l.pos.elem(c), "unknown element <%s> in <destinationInterceptors>; ignored", c.Tag)
		}
	}
}

var virtualTopicAttrs = kinds(map[attrKind][]string{
	attrBool: {"concurrentSend", "transactedSend", "dropOnResourceLimit", "setOriginalDestination"},
})

func (l *loader) virtualTopic(e *etree.Element, b *config.Broker) {
	v := config.VirtualTopic{Pos: l.pos.elem(e), Attrs: map[string]string{}}
	a := l.attrs(e, "virtualTopic")
	if !a.strTo("name", &v.Name) {
		v.Name = ">" // ActiveMQ's VirtualTopic default name
	}
	if !a.strTo("prefix", &v.Prefix) {
		v.Prefix = "Consumer.*."
	}
	if p, ok := a.str("postfix"); ok && p != "" {
		l.warnf(a.pos("postfix"), "virtualTopic: postfix %q is not enforced by Hashi", p)
	}
	for _, attr := range []string{"selectorAware", "local"} {
		var on bool
		if a.boolean(attr, &on) && on {
			l.warnf(a.pos(attr), "virtualTopic: %s=\"true\" is not enforced by Hashi", attr)
		}
	}
	for _, k := range []string{"postfix", "selectorAware", "local"} {
		if val, ok := a.vals[k]; ok {
			v.Attrs[k] = val
		}
	}
	a.finish(virtualTopicAttrs, v.Attrs)
	b.VirtualTopics = append(b.VirtualTopics, v)
}

var compositeAttrs = kinds(map[attrKind][]string{
	attrBool: {"copyMessage", "concurrentSend", "sendWhenNotMatched"},
})

func (l *loader) composite(e *etree.Element, b *config.Broker) {
	kind := dest.Queue
	if e.Tag == "compositeTopic" {
		kind = dest.Topic
	}
	c := config.CompositeDestination{Pos: l.pos.elem(e), ForwardOnly: true, Attrs: map[string]string{}}
	a := l.attrs(e, e.Tag)
	name, _ := a.str("name")
	c.Dest = destOf(kind, name)
	a.boolean("forwardOnly", &c.ForwardOnly)
	a.finish(compositeAttrs, c.Attrs)
	l.warnf(c.Pos, "%s %q: composite destinations are not enforced yet", e.Tag, name)
	for _, f := range l.children(e) {
		if f.Tag != "forwardTo" {
			l.warnf(l.pos.elem(f), "unknown element <%s> in <%s>; ignored", f.Tag, e.Tag)
			continue
		}
		for _, t := range l.children(f) {
			if t.Tag == "filteredDestination" {
				fa := l.attrs(t, "filteredDestination")
				for _, k := range []dest.Kind{dest.Queue, dest.Topic} {
					if n, ok := fa.str(kindAttrName(k)); ok {
						c.ForwardTo = append(c.ForwardTo, config.DestRef{Pos: l.pos.elem(t), Dest: destOf(k, n)})
					}
				}
				fa.finish(map[string]attrKind{"selector": attrKeep}, nil)
				continue
			}
			kk, ok := kindOf(t.Tag)
			if !ok || kk.IsTemp() {
				l.warnf(l.pos.elem(t), "unexpected <%s> in <forwardTo>; ignored", t.Tag)
				continue
			}
			ta := l.attrs(t, "forwardTo <"+t.Tag+">")
			if n, ok := ta.str("physicalName"); ok {
				c.ForwardTo = append(c.ForwardTo, config.DestRef{Pos: l.pos.elem(t), Dest: destOf(kk, n)})
			} else {
				l.errorf(l.pos.elem(t), "forwardTo <%s> needs a physicalName", t.Tag)
			}
			ta.finish(nil, nil)
		}
	}
	b.Composites = append(b.Composites, c)
}

// kindAttrName is the attribute that selects a kind on entries.
func kindAttrName(k dest.Kind) string {
	switch k {
	case dest.Queue:
		return "queue"
	case dest.TempQueue:
		return "tempQueue"
	case dest.TempTopic:
		return "tempTopic"
	}
	return "topic"
}
