package xml

import (
	"strings"

	"github.com/beevik/etree"

	"github.com/hashi-broker/hashi/broker/dest"
	"github.com/hashi-broker/hashi/config"
)

// knownPlugins are ActiveMQ broker plugins that Hashi parses but does not
// enforce; they are listed in Broker.OtherPlugins with a warning.
var knownPlugins = setOf(
	"statisticsBrokerPlugin", "timeStampingBrokerPlugin", "forcePersistencyModeBrokerPlugin",
	"redeliveryPlugin", "loggingBrokerPlugin", "discardingDLQBrokerPlugin", "destinationPathSeparatorPlugin",
	"runtimeConfigurationPlugin", "traceBrokerPathPlugin", "connectionDotFilePlugin", "destinationDotFilePlugin",
	"udpTraceBrokerPlugin", "multicastTraceBrokerPlugin", "virtualSelectorCacheBrokerPlugin",
	"partitionBrokerPlugin", "destinationsPlugin", "forcePersistencyModeBroker",
)

func setOf(names ...string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}

// plugins reads <plugins>.
func (l *loader) plugins(e *etree.Element, b *config.Broker) {
	for _, c := range l.children(e) {
		pos := l.pos.elem(c)
		switch c.Tag {
		case "simpleAuthenticationPlugin", "jaasAuthenticationPlugin", "jaasDualAuthenticationPlugin":
			if b.Authentication != nil {
				l.errorf(pos, "<%s>: a second authentication plugin (the first, %s, is at %s)", c.Tag, b.Authentication.Plugin, b.Authentication.Pos)
				continue
			}
			if c.Tag == "simpleAuthenticationPlugin" {
				b.Authentication = l.simpleAuth(c)
			} else {
				b.Authentication = l.jaasAuth(c)
			}
		case "authorizationPlugin":
			if b.Authorization != nil {
				l.errorf(pos, "<authorizationPlugin>: a second authorization plugin (the first is at %s)", b.Authorization.Pos)
				continue
			}
			b.Authorization = l.authorization(c)
		case "jaasCertificateAuthenticationPlugin":
			// Running without the authentication the file asks for would open the broker.
			l.errorf(pos, "<%s> is not supported (client-certificate logins); use simpleAuthenticationPlugin or jaasAuthenticationPlugin", c.Tag)
		default:
			b.OtherPlugins = append(b.OtherPlugins, c.Tag)
			if knownPlugins[c.Tag] {
				l.warnf(pos, "plugin <%s> is not enforced by Hashi; ignored", c.Tag)
			} else {
				l.warnf(pos, "unknown plugin <%s>; ignored", c.Tag)
			}
		}
	}
}

var simpleAuthAttrs = kinds(map[attrKind][]string{attrRef: {"userGroups", "userPasswords"}})

// simpleAuth reads simpleAuthenticationPlugin.
func (l *loader) simpleAuth(e *etree.Element) *config.Authentication {
	au := config.NewAuthentication(e.Tag)
	au.Pos = l.pos.elem(e)
	l.anonymous(l.attrs(e, e.Tag), au, simpleAuthAttrs)
	for _, c := range l.children(e) {
		if c.Tag != "users" {
			l.warnf(l.pos.elem(c), "unknown element <%s> in <%s>; ignored", c.Tag, e.Tag)
			continue
		}
		for _, u := range l.children(c) {
			if u.Tag != "authenticationUser" {
				l.warnf(l.pos.elem(u), "unexpected <%s> in <users> (want <authenticationUser>); ignored", u.Tag)
				continue
			}
			a := l.attrs(u, "authenticationUser")
			user := config.User{Pos: l.pos.elem(u)}
			a.strTo("username", &user.Name)
			a.strTo("password", &user.Password)
			user.Groups = a.list("groups")
			a.finish(nil, nil)
			au.Users = append(au.Users, user)
		}
	}
	return au
}

// anonymous reads the anonymous-access attributes common to the
// authentication plugins, then finishes the attributes.
func (l *loader) anonymous(a *attrReader, au *config.Authentication, known map[string]attrKind) {
	a.boolean("anonymousAccessAllowed", &au.AnonymousAccessAllowed)
	a.strTo("anonymousUser", &au.AnonymousUser)
	a.strTo("anonymousGroup", &au.AnonymousGroup)
	a.finish(known, nil)
}

// authorization reads authorizationPlugin/map/authorizationMap.
func (l *loader) authorization(e *etree.Element) *config.Authorization {
	z := &config.Authorization{Pos: l.pos.elem(e)}
	l.attrs(e, "authorizationPlugin").finish(kinds(map[attrKind][]string{attrRef: {"map"}}), nil)
	var maps []*etree.Element
	for _, c := range l.children(e) {
		if c.Tag != "map" {
			l.warnf(l.pos.elem(c), "unknown element <%s> in <authorizationPlugin>; ignored", c.Tag)
			continue
		}
		if m := l.wrapped(c); m != nil {
			maps = append(maps, m)
		}
	}
	if len(maps) == 0 {
		l.errorf(z.Pos, "authorizationPlugin: no <map><authorizationMap> inside")
		return z
	}
	m := maps[0]
	if m.Tag != "authorizationMap" {
		// An unsupported map would leave the broker open: refuse it.
		l.errorf(l.pos.elem(m), "authorizationPlugin: <%s> is not supported (use <authorizationMap>)", m.Tag)
		return z
	}
	l.attrs(m, "authorizationMap").finish(kinds(map[attrKind][]string{
		attrRef:  {"defaultEntry", "tempDestinationAuthorizationEntry"},
		attrKeep: {"groupClass"},
	}), nil)
	for _, c := range l.children(m) {
		switch c.Tag {
		case "authorizationEntries":
			for _, en := range l.children(c) {
				if en.Tag != "authorizationEntry" {
					l.warnf(l.pos.elem(en), "unexpected <%s> in <authorizationEntries> (want <authorizationEntry>); ignored", en.Tag)
					continue
				}
				if acl, ok := l.acl(en, "authorizationEntry", true); ok {
					z.Entries = append(z.Entries, acl)
				}
			}
		case "defaultEntry", "tempDestinationAuthorizationEntry":
			in := l.wrapped(c)
			if in == nil {
				continue
			}
			if in.Tag != "authorizationEntry" && in.Tag != "tempDestinationAuthorizationEntry" {
				l.warnf(l.pos.elem(in), "unexpected <%s> in <%s>; ignored", in.Tag, c.Tag)
				continue
			}
			acl, ok := l.acl(in, c.Tag, false)
			if !ok {
				continue
			}
			if c.Tag == "defaultEntry" {
				z.Default = &acl
			} else {
				z.Temp = &acl
			}
		default:
			l.warnf(l.pos.elem(c), "unknown element <%s> in <authorizationMap>; ignored", c.Tag)
		}
	}
	return z
}

// acl reads one authorization entry. Entries in authorizationEntries need
// exactly one of queue, topic, tempQueue, tempTopic; the default and temp
// entries need none.
func (l *loader) acl(e *etree.Element, what string, typed bool) (config.ACL, bool) {
	acl := config.ACL{Pos: l.pos.elem(e)}
	a := l.attrs(e, what)
	d, ok := l.entryDest(a, what, typed)
	if !ok {
		return acl, false
	}
	acl.Dest = d
	acl.Read = a.list("read")
	acl.Write = a.list("write")
	acl.Admin = a.list("admin")
	a.finish(kinds(map[attrKind][]string{attrKeep: {"groupClass"}, attrRef: {"destination"}}), nil)
	return acl, true
}

// entryDest reads the destination of a policy or authorization entry: one of
// queue=, topic= (patterns), tempQueue=, tempTopic= (booleans in ActiveMQ:
// they select every temporary destination, ">", whatever the value). With
// required false (default entries) the attributes may be absent.
func (l *loader) entryDest(a *attrReader, what string, required bool) (dest.Destination, bool) {
	var found []string
	var d dest.Destination
	for _, k := range []dest.Kind{dest.Queue, dest.Topic, dest.TempQueue, dest.TempTopic} {
		attr := kindAttrName(k)
		v, ok := a.str(attr)
		if !ok {
			if a.has(attr) {
				return d, false // unresolvable placeholder, reported
			}
			continue
		}
		found = append(found, attr)
		if len(found) > 1 {
			l.errorf(a.pos(attr), "%s: names both %s and %s; an entry applies to one kind of destination", what, found[0], attr)
			return d, false
		}
		if k.IsTemp() {
			b, err := config.ParseBool(v)
			if err != nil {
				l.errorf(a.pos(attr), "%s: %s: %v (it selects every temporary destination)", what, attr, err)
				return d, false
			}
			if !b {
				l.warnf(a.pos(attr), "%s: %s=\"false\" still selects every temporary destination (ActiveMQ ignores the value)", what, attr)
			}
			v = ">"
		}
		d = destOf(k, strings.TrimSpace(v))
	}
	if len(found) == 0 && required {
		l.errorf(l.pos.elem(a.e), "%s: names neither queue nor topic (nor tempQueue/tempTopic)", what)
		return d, false
	}
	if len(found) > 0 && !required {
		l.warnf(a.pos(found[0]), "%s: %s is ignored in a default entry", what, found[0])
	}
	return d, true
}
