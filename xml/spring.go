package xml

import (
	"strings"

	"github.com/beevik/etree"

	"github.com/hashi-broker/hashi/config"
)

// isPlaceholderConfigurer recognizes Spring's PropertyPlaceholderConfigurer,
// PropertySourcesPlaceholderConfigurer and jasypt's
// EncryptablePropertyPlaceholderConfigurer.
func isPlaceholderConfigurer(class string) bool {
	return strings.HasSuffix(class, "PlaceholderConfigurer")
}

// placeholderSources reads the property sources of every placeholder
// configurer in the document (a <bean class="...PlaceholderConfigurer"> or
// <context:property-placeholder location=...>): inline <props>, then the
// files of location/locations, later files overriding earlier ones, as
// Spring merges them.
func (l *loader) placeholderSources(doc *etree.Document) {
	var beans []*etree.Element
	var find func(e *etree.Element)
	find = func(e *etree.Element) {
		for _, c := range e.ChildElements() {
			switch {
			case c.Tag == "bean" && c.NamespaceURI() == beansNS && isPlaceholderConfigurer(c.SelectAttrValue("class", "")):
				beans = append(beans, c)
			case c.Tag == "property-placeholder" && c.NamespaceURI() == contextNS:
				beans = append(beans, c)
			default:
				find(c)
			}
		}
	}
	find(&doc.Element)
	for _, b := range beans {
		l.anchor = l.pos.elem(b)
		if b.Tag == "property-placeholder" {
			ignoreMissing := strings.EqualFold(b.SelectAttrValue("ignore-resource-not-found", ""), "true")
			if strings.EqualFold(b.SelectAttrValue("ignore-unresolvable", ""), "true") {
				l.res.ignoreUnresolvable = true
			}
			if loc := b.SelectAttr("location"); loc != nil {
				for _, v := range strings.Split(loc.Value, ",") {
					l.propertiesFile(v, l.pos.attr(b, "location"), ignoreMissing)
				}
			}
			continue
		}
		l.placeholderBean(b)
	}
	l.anchor = config.Pos{}
}

// placeholderBean reads one PropertyPlaceholderConfigurer bean.
func (l *loader) placeholderBean(b *etree.Element) {
	type loc struct {
		v   string
		pos config.Pos
	}
	var locs []loc
	ignoreMissing := false
	for _, p := range b.ChildElements() {
		if p.Tag != "property" || p.NamespaceURI() != beansNS {
			continue
		}
		name := p.SelectAttrValue("name", "")
		switch name {
		case "location", "locations":
			if v := p.SelectAttr("value"); v != nil {
				for _, s := range strings.Split(v.Value, ",") {
					locs = append(locs, loc{s, l.pos.attr(p, "value")})
				}
			}
			for _, v := range descendants(p, "value") {
				for _, s := range strings.Split(v.Text(), ",") {
					locs = append(locs, loc{s, l.pos.elem(v)})
				}
			}
		case "properties":
			for _, prop := range descendants(p, "prop") {
				if key := prop.SelectAttrValue("key", ""); key != "" {
					l.res.props[key] = trimSpace(prop.Text())
					l.res.propFrom[key] = l.file
				}
			}
			for _, v := range descendants(p, "value") {
				for _, e := range parseProperties(v.Text()) {
					l.res.props[e.key] = e.value
					l.res.propFrom[e.key] = l.file
				}
			}
		case "ignoreResourceNotFound":
			ignoreMissing = strings.EqualFold(trimSpace(p.SelectAttrValue("value", "")), "true")
		case "ignoreUnresolvablePlaceholders":
			if strings.EqualFold(trimSpace(p.SelectAttrValue("value", "")), "true") {
				l.res.ignoreUnresolvable = true
			}
		}
	}
	for _, lc := range locs {
		l.propertiesFile(lc.v, lc.pos, ignoreMissing)
	}
}

// descendants lists the elements named tag below e (Spring <list>, <array>,
// <set> and <props> wrap the values).
func descendants(e *etree.Element, tag string) []*etree.Element {
	var out []*etree.Element
	for _, c := range e.ChildElements() {
		if c.Tag == tag {
			out = append(out, c)
			continue
		}
		out = append(out, descendants(c, tag)...)
	}
	return out
}

// propertiesFile loads one location such as
// "file:${activemq.conf}/credentials.properties" into the resolver.
func (l *loader) propertiesFile(location string, pos config.Pos, ignoreMissing bool) {
	location = trimSpace(location)
	if location == "" {
		return
	}
	v, err := l.res.expand(location)
	if err != nil {
		l.errorf(pos, "property placeholder location %q: %v", location, err)
		return
	}
	if strings.HasPrefix(v, "classpath:") || strings.HasPrefix(v, "classpath*:") {
		l.warnf(pos, "property placeholder location %q: classpath resources are not supported; skipped", v)
		return
	}
	path := l.path(v)
	data, err := l.opts.ReadFile(path)
	if err != nil {
		if ignoreMissing {
			l.warnf(pos, "property placeholder location %q: %v (ignoreResourceNotFound)", v, err)
			return
		}
		l.errorf(pos, "property placeholder location %q: cannot read properties file %s: %v", v, path, err)
		return
	}
	for _, e := range parseProperties(string(data)) {
		l.res.props[e.key] = e.value
		l.res.propFrom[e.key] = path
	}
}
