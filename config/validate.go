package config

import (
	"fmt"
	"net"
	"strings"
	"unicode/utf8"

	"github.com/hashi-broker/hashi/broker/dest"
)

// Validate checks the model as a whole and returns every problem at once:
// invalid destination patterns, duplicate names and listen addresses, TLS
// connectors without an sslContext, unusable network connectors, users
// without names, and so on. It does not re-read anything; the xml loader
// reports syntax errors itself and calls Validate for the rest.
func (c *Config) Validate() Problems {
	var ps Problems
	b := &c.Broker
	validateBroker(&ps, b)
	validateTransports(&ps, b)
	validateSecurity(&ps, b)
	validatePolicy(&ps, b)
	validateNetwork(&ps, b)
	validateDestinations(&ps, b)
	return ps
}

func validateBroker(ps *Problems, b *Broker) {
	if b.Name == "" {
		ps.Errorf(b.Pos, "broker: brokerName must not be empty")
	} else if i := strings.IndexFunc(b.Name, badBrokerNameRune); i >= 0 {
		r, _ := utf8.DecodeRuneInString(b.Name[i:])
		ps.Warnf(b.Pos, "broker: brokerName %q contains %q; ActiveMQ replaces characters outside [A-Za-z0-9._-:] with '_'", b.Name, string(r))
	}
	if b.DataDirectory == "" {
		ps.Errorf(b.Pos, "broker: dataDirectory must not be empty")
	}
	if b.SchedulePeriodForDestinationPurge < 0 {
		ps.Errorf(b.Pos, "broker: schedulePeriodForDestinationPurge must be >= 0, got %s", ms(b.SchedulePeriodForDestinationPurge))
	}
	if b.MaxPurgedDestinationsPerSweep < 0 {
		ps.Errorf(b.Pos, "broker: maxPurgedDestinationsPerSweep must be >= 0, got %d", b.MaxPurgedDestinationsPerSweep)
	}
	u := b.SystemUsage
	upos := u.Pos
	if upos.Line == 0 {
		upos = b.Pos
	}
	for _, l := range []struct {
		name string
		v    int64
	}{{"memoryUsage limit", u.MemoryLimit}, {"storeUsage limit", u.StoreLimit}, {"tempUsage limit", u.TempLimit}} {
		if l.v <= 0 {
			ps.Errorf(upos, "systemUsage: %s must be > 0, got %d", l.name, l.v)
		}
	}
	if u.MemoryPercentOfHeap < 0 || u.MemoryPercentOfHeap > 100 {
		ps.Errorf(upos, "systemUsage: memoryUsage percentOfJvmHeap must be 0..100, got %d", u.MemoryPercentOfHeap)
	}
	p := b.Persistence
	switch p.SyncMode {
	case "always", "periodic", "never":
	default:
		ps.Errorf(p.Pos, "%s: journalDiskSyncStrategy must be always, periodic or never, got %q", p.Adapter, p.SyncMode)
	}
	if p.Directory == "" && p.Adapter != "memoryPersistenceAdapter" {
		ps.Errorf(p.Pos, "%s: directory must not be empty", p.Adapter)
	}
	if s := b.SSLContext; s != nil {
		for _, t := range []struct{ attr, v string }{{"keyStoreType", s.KeyStoreType}, {"trustStoreType", s.TrustStoreType}} {
			switch t.v {
			case "", "pem", "pkcs12", "jks", "jceks":
			default:
				// The TLS loader sniffs the file's content; the type is a hint.
				ps.Warnf(s.Pos, "sslContext: unknown %s %q (Hashi reads PEM, PKCS#12 and JKS files, whatever the type says)", t.attr, t.v)
			}
		}
	}
}

func badBrokerNameRune(r rune) bool {
	return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("._-:", r))
}

func validateTransports(ps *Problems, b *Broker) {
	names := map[string]Pos{}
	type bound struct {
		pos  Pos
		name string
		host string
	}
	ports := map[string][]bound{}
	for _, tc := range b.TransportConnectors {
		what := fmt.Sprintf("transportConnector %q", tc.Name)
		if prev, dup := names[tc.Name]; dup {
			ps.Errorf(tc.Pos, "%s: duplicate name (first at %s)", what, where(prev, tc.Pos))
		} else {
			names[tc.Name] = tc.Pos
		}
		switch tc.Protocol {
		case ProtoMQTT, ProtoSTOMP, ProtoAuto, ProtoWS:
		case ProtoAMQP:
			ps.Warnf(tc.Pos, "%s: AMQP is not supported; connector skipped", what)
			continue
		default:
			ps.Errorf(tc.Pos, "%s: unknown protocol %q", what, tc.Protocol)
			continue
		}
		host, port, err := net.SplitHostPort(tc.Addr)
		if err != nil {
			ps.Errorf(tc.Pos, "%s: bad listen address %q", what, tc.Addr)
			continue
		}
		if port != "0" {
			for _, o := range ports[port] {
				if o.host == host || isWildcardHost(o.host) || isWildcardHost(host) {
					ps.Errorf(tc.Pos, "%s: address %s is already used by transportConnector %q (%s)", what, tc.Addr, o.name, where(o.pos, tc.Pos))
					break
				}
			}
			ports[port] = append(ports[port], bound{tc.Pos, tc.Name, host})
		}
		if tc.TLS {
			if b.SSLContext == nil {
				ps.Errorf(tc.Pos, "%s: %s needs TLS but the broker has no <sslContext>", what, tc.Scheme)
			} else if b.SSLContext.KeyStore == "" {
				ps.Errorf(tc.Pos, "%s: %s needs TLS but <sslContext> has no keyStore", what, tc.Scheme)
			}
		}
		if tc.MaximumConnections < 0 {
			ps.Errorf(tc.Pos, "%s: maximumConnections must be >= 0, got %d", what, tc.MaximumConnections)
		}
		if tc.MaxFrameSize < 0 {
			ps.Errorf(tc.Pos, "%s: wireFormat.maxFrameSize must be >= 0, got %d", what, tc.MaxFrameSize)
		}
		if tc.MaxKeepAlive > 0 && tc.DefaultKeepAlive > tc.MaxKeepAlive {
			ps.Errorf(tc.Pos, "%s: transport.defaultKeepAlive %s exceeds transport.maxKeepAlive %s", what, ms(tc.DefaultKeepAlive), ms(tc.MaxKeepAlive))
		}
	}
}

func isWildcardHost(h string) bool { return h == "" || h == "0.0.0.0" || h == "::" }

func validateSecurity(ps *Problems, b *Broker) {
	if a := b.Authentication; a != nil {
		users := map[string]Pos{}
		for _, u := range a.Users {
			if u.Name == "" {
				ps.Errorf(u.Pos, "%s: user without a name", a.Plugin)
				continue
			}
			if prev, dup := users[u.Name]; dup {
				ps.Errorf(u.Pos, "%s: duplicate user %q (first at %s)", a.Plugin, u.Name, where(prev, u.Pos))
			} else {
				users[u.Name] = u.Pos
			}
			for _, g := range u.Groups {
				if g == "" {
					ps.Warnf(u.Pos, "%s: user %q has an empty group name", a.Plugin, u.Name)
				}
			}
		}
		if a.AnonymousAccessAllowed && (a.AnonymousUser == "" || a.AnonymousGroup == "") {
			ps.Errorf(a.Pos, "%s: anonymousUser and anonymousGroup must not be empty when anonymousAccessAllowed", a.Plugin)
		}
	}
	z := b.Authorization
	if z == nil {
		return
	}
	if b.Authentication == nil {
		ps.Warnf(z.Pos, "authorizationPlugin without an authentication plugin: every operation fails with \"User is not authenticated\"")
	}
	check := func(acl *ACL, what string, typed bool) {
		if typed {
			if err := dest.ValidatePattern(acl.Dest.Name); err != nil {
				ps.Errorf(acl.Pos, "%s %s=%q: %v", what, kindAttr(acl.Dest.Kind), acl.Dest.Name, err)
			}
		}
		for _, l := range []struct {
			op     string
			groups []string
		}{{"read", acl.Read}, {"write", acl.Write}, {"admin", acl.Admin}} {
			for _, g := range l.groups {
				if g == "" {
					ps.Warnf(acl.Pos, "%s: empty group name in %s=", what, l.op)
				}
			}
		}
	}
	for i := range z.Entries {
		check(&z.Entries[i], "authorizationEntry", true)
	}
	if z.Default != nil {
		check(z.Default, "defaultEntry", false)
	}
	if z.Temp != nil {
		check(z.Temp, "tempDestinationAuthorizationEntry", false)
	}
}

// kindAttr names the XML attribute that selects a destination kind.
func kindAttr(k dest.Kind) string {
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

func validatePolicy(ps *Problems, b *Broker) {
	seen := map[dest.Destination]Pos{}
	check := func(e *PolicyEntry, what string) {
		if e.MemoryLimit < 0 {
			ps.Errorf(e.Pos, "%s: memoryLimit must be >= 0, got %d", what, e.MemoryLimit)
		}
		if e.PendingMessageLimit < -1 {
			ps.Errorf(e.Pos, "%s: constantPendingMessageLimitStrategy limit must be >= -1, got %d", what, e.PendingMessageLimit)
		}
		if e.QueuePrefetch < 0 || e.TopicPrefetch < 0 {
			ps.Errorf(e.Pos, "%s: prefetch must be >= 0", what)
		}
		if e.InactiveTimeoutBeforeGC < 0 || e.ExpireMessagesPeriod < 0 || e.ReplayDelay < 0 {
			ps.Errorf(e.Pos, "%s: durations must be >= 0", what)
		}
	}
	for i := range b.Policy.Entries {
		e := &b.Policy.Entries[i]
		what := fmt.Sprintf("policyEntry %s=%q", kindAttr(e.Dest.Kind), e.Dest.Name)
		if err := dest.ValidatePattern(e.Dest.Name); err != nil {
			ps.Errorf(e.Pos, "%s: %v", what, err)
		}
		if prev, dup := seen[e.Dest]; dup {
			ps.Warnf(e.Pos, "%s: duplicate entry (first at %s); only one of them applies", what, where(prev, e.Pos))
		} else {
			seen[e.Dest] = e.Pos
		}
		check(e, what)
	}
	if d := b.Policy.Default; d != nil {
		check(d, "defaultEntry")
	}
	if b.SchedulePeriodForDestinationPurge == 0 {
		for _, e := range b.Policy.Entries {
			if e.GCInactiveDestinations {
				ps.Warnf(e.Pos, "policyEntry %s=%q: gcInactiveDestinations has no effect while broker schedulePeriodForDestinationPurge is 0", kindAttr(e.Dest.Kind), e.Dest.Name)
			}
		}
	}
}

func validateNetwork(ps *Problems, b *Broker) {
	names := map[string]Pos{}
	for i := range b.NetworkConnectors {
		nc := &b.NetworkConnectors[i] // read only
		what := fmt.Sprintf("networkConnector %q", nc.Name)
		if prev, dup := names[nc.Name]; dup {
			ps.Errorf(nc.Pos, "%s: duplicate name (first at %s); give each connector a unique name", what, where(prev, nc.Pos))
		} else {
			names[nc.Name] = nc.Pos
		}
		mode, peers := nc.Mode, nc.Peers
		if mode == "" && nc.URI != "" {
			// Built without the loader: derive the peers from the uri.
			nu, _, err := ParseNetworkURI(nc.URI)
			if err != nil {
				ps.Errorf(nc.Pos, "%s: %v", what, err)
				mode = "bad"
			} else {
				mode, peers = nu.Mode, nu.Peers
			}
		}
		switch {
		case mode == "bad":
		case mode == "":
			ps.Errorf(nc.Pos, "%s: no uri", what)
		case mode != "static" && mode != "masterslave":
			ps.Errorf(nc.Pos, "%s: unknown mode %q (want static or masterslave)", what, mode)
		case len(peers) == 0:
			ps.Errorf(nc.Pos, "%s: no peers", what)
		case mode == "masterslave" && len(peers) < 2:
			ps.Errorf(nc.Pos, "%s: masterslave needs at least 2 peers, got %d", what, len(peers))
		}
		if nc.PrefetchSize <= 0 {
			ps.Errorf(nc.Pos, "%s: prefetchSize must be > 0, got %d", what, nc.PrefetchSize)
		}
		if nc.MessageTTL < -1 {
			ps.Errorf(nc.Pos, "%s: messageTTL must be >= -1, got %d", what, nc.MessageTTL)
		}
		if nc.ConsumerTTL < -1 {
			ps.Errorf(nc.Pos, "%s: consumerTTL must be >= -1, got %d", what, nc.ConsumerTTL)
		}
		if nc.DemandGrace < 0 {
			ps.Errorf(nc.Pos, "%s: demandGrace must be >= 0, got %s", what, ms(nc.DemandGrace))
		}
		r := nc.Reconnect
		if r.InitialDelay < 0 || r.MaxDelay < 0 || r.MinConnectTime < 0 || r.MaxAttempts < 0 || (r.UseExponentialBackOff && r.BackOffMultiplier < 1) {
			ps.Errorf(nc.Pos, "%s: reconnect options out of range", what)
		} else if r.MaxDelay < r.InitialDelay {
			ps.Warnf(nc.Pos, "%s: maxReconnectDelay %s is below initialReconnectDelay %s", what, ms(r.MaxDelay), ms(r.InitialDelay))
		}
		if nc.StaticBridge && len(nc.StaticallyIncluded) == 0 {
			ps.Warnf(nc.Pos, "%s: staticBridge without staticallyIncludedDestinations forwards nothing", what)
		}
		for _, list := range [][]DestRef{nc.Excluded, nc.DynamicallyIncluded, nc.StaticallyIncluded} {
			for _, d := range list {
				if err := dest.ValidatePattern(d.Dest.Name); err != nil {
					ps.Errorf(d.Pos, "%s: %s %q: %v", what, kindAttr(d.Dest.Kind), d.Dest.Name, err)
				}
			}
		}
		if nc.UserName != "" && nc.Password == "" && b.Authentication != nil && !hasUser(b.Authentication, nc.UserName) {
			ps.Warnf(nc.Pos, "%s: userName %q has no password and no local user of that name", what, nc.UserName)
		}
	}
}

func hasUser(a *Authentication, name string) bool {
	for _, u := range a.Users {
		if u.Name == name {
			return true
		}
	}
	return false
}

func validateDestinations(ps *Problems, b *Broker) {
	seen := map[dest.Destination]bool{}
	for _, d := range b.Destinations {
		if err := dest.ValidatePattern(d.Dest.Name); err != nil {
			ps.Errorf(d.Pos, "destinations: %s %q: %v", kindAttr(d.Dest.Kind), d.Dest.Name, err)
			continue
		}
		if d.Dest.IsWildcard() {
			ps.Errorf(d.Pos, "destinations: %s %q: a pre-created destination cannot be a wildcard", kindAttr(d.Dest.Kind), d.Dest.Name)
		}
		if seen[d.Dest] {
			ps.Warnf(d.Pos, "destinations: %s %q listed twice", kindAttr(d.Dest.Kind), d.Dest.Name)
		}
		seen[d.Dest] = true
	}
	names := map[string]bool{}
	for _, v := range b.VirtualTopics {
		if err := dest.ValidatePattern(v.Name); err != nil {
			ps.Errorf(v.Pos, "virtualTopic name=%q: %v", v.Name, err)
		}
		if v.Prefix == "" && v.Attrs["postfix"] == "" {
			ps.Errorf(v.Pos, "virtualTopic name=%q: empty prefix", v.Name)
		} else if v.Prefix != "" && !strings.HasSuffix(v.Prefix, ".") {
			ps.Warnf(v.Pos, "virtualTopic name=%q: prefix %q does not end with '.'", v.Name, v.Prefix)
		}
		if names[v.Name] {
			ps.Warnf(v.Pos, "virtualTopic name=%q declared twice", v.Name)
		}
		names[v.Name] = true
	}
	for _, c := range b.Composites {
		if err := dest.ValidatePattern(c.Dest.Name); err != nil {
			ps.Errorf(c.Pos, "composite %s %q: %v", kindAttr(c.Dest.Kind), c.Dest.Name, err)
		}
		if len(c.ForwardTo) == 0 {
			ps.Warnf(c.Pos, "composite %s %q forwards nowhere", kindAttr(c.Dest.Kind), c.Dest.Name)
		}
	}
}

// where names prev briefly ("LINE:COL") when it is in the same file as cur.
func where(prev, cur Pos) string {
	if prev.File == cur.File && prev.Line > 0 {
		return prev.LineCol()
	}
	return prev.String()
}
