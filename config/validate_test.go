package config

import (
	"strings"
	"testing"
	"time"

	"github.com/hashi-broker/hashi/broker/dest"
)

func at(line int) Pos { return Pos{File: "activemq.xml", Line: line, Col: 3} }

// sample is a valid configuration touching every section.
func sample() *Config {
	b := NewBroker()
	b.Pos = at(1)
	b.Name = "tokyo"
	b.DataDirectory = "/var/lib/hashi"
	b.Persistence.Directory = "/var/lib/hashi/kahadb"
	b.SchedulePeriodForDestinationPurge = 10 * time.Second
	b.SSLContext = &SSLContext{Pos: at(2), KeyStore: "/etc/hashi/tokyo.p12", KeyStoreType: "pkcs12", KeyStorePassword: "secret",
		TrustStore: "/etc/hashi/ca.pem", TrustStoreType: "pem"}
	b.TransportConnectors = []TransportConnector{
		{Pos: at(3), Name: "mqtt", Protocol: ProtoMQTT, Scheme: "mqtt", Addr: "0.0.0.0:1883", MaximumConnections: 1000},
		{Pos: at(4), Name: "mqtts", Protocol: ProtoMQTT, Scheme: "mqtt+ssl", TLS: true, NeedClientAuth: true, Addr: "0.0.0.0:8883", MaxFrameSize: 1 << 20},
		{Pos: at(5), Name: "stomp", Protocol: ProtoSTOMP, Scheme: "stomp", Addr: "127.0.0.1:61613", DefaultHeartBeat: "5000,0"},
		{Pos: at(6), Name: "ws", Protocol: ProtoWS, Scheme: "ws", Addr: "127.0.0.1:61614", DefaultKeepAlive: time.Minute, MaxKeepAlive: 5 * time.Minute},
	}
	b.Authentication = NewAuthentication("simpleAuthenticationPlugin")
	b.Authentication.Pos = at(7)
	b.Authentication.Users = []User{
		{Pos: at(8), Name: "admin", Password: "admin-secret", Groups: []string{"admins"}},
		{Pos: at(9), Name: "bridge", Password: "$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy", Groups: []string{"bridges", "admins"}},
	}
	b.Authorization = &Authorization{Pos: at(10),
		Entries: []ACL{
			{Pos: at(11), Dest: dest.Q(">"), Read: []string{"admins"}, Write: []string{"admins"}, Admin: []string{"admins"}},
			{Pos: at(12), Dest: dest.T("events.>"), Read: []string{"*"}, Write: []string{"publishers"}},
		},
		Default: &ACL{Pos: at(13), Read: []string{"admins"}},
	}
	pe := NewPolicyEntry()
	pe.Pos, pe.Dest, pe.PendingMessageLimit, pe.GCInactiveDestinations = at(14), dest.T(">"), 1000, true
	qe := NewPolicyEntry()
	qe.Pos, qe.Dest, qe.MemoryLimit, qe.ReplayWhenNoConsumers, qe.ReplayDelay = at(15), dest.Q("orders.>"), 64<<20, true, time.Second
	qe.Attrs["enableAudit"] = "false"
	b.Policy = PolicyMap{Entries: []PolicyEntry{pe, qe}}
	nc := NewNetworkConnector()
	nc.Pos, nc.Name, nc.URI, nc.Mode = at(16), "tokyo-singapore", "static:(ssl://sg.example.com:61617)", "static"
	nc.Peers = []string{"ssl://sg.example.com:61617"}
	nc.Bridges = [][]string{nc.Peers}
	nc.UserName = "bridge"
	nc.ConduitSubscriptions = false
	nc.Excluded = []DestRef{{Pos: at(17), Dest: dest.Q("local.>")}}
	nc.DynamicallyIncluded = []DestRef{{Pos: at(18), Dest: dest.Q("orders.>")}}
	nc.Attrs["suppressDuplicateQueueSubscriptions"] = "true"
	ms := NewNetworkConnector()
	ms.Pos, ms.Name, ms.URI, ms.Mode = at(19), "tokyo-osaka", "masterslave:(tcp://a:61616,tcp://b:61616)", "masterslave"
	ms.Peers = []string{"tcp://a:61616", "tcp://b:61616"}
	ms.Bridges = [][]string{ms.Peers}
	ms.Duplex, ms.UserName, ms.Password = true, "bridge", "pw"
	b.NetworkConnectors = []NetworkConnector{nc, ms}
	b.Destinations = []DestRef{{Pos: at(20), Dest: dest.Q("orders.incoming")}}
	b.VirtualTopics = []VirtualTopic{DefaultVirtualTopic()}
	return &Config{Source: "/etc/hashi/activemq.xml", Broker: b}
}

func TestValidateSampleIsClean(t *testing.T) {
	if ps := sample().Validate(); len(ps) != 0 {
		t.Fatalf("problems:\n%v", ps)
	}
}

func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(b *Broker)
		want   string // the one problem, as printed
	}{
		{"duplicate connector name", func(b *Broker) { b.TransportConnectors[1].Name = "mqtt" },
			`activemq.xml:4:3: transportConnector "mqtt": duplicate name (first at 3:3)`},
		{"same address", func(b *Broker) { b.TransportConnectors[2].Addr = "127.0.0.1:1883" },
			`activemq.xml:5:3: transportConnector "stomp": address 127.0.0.1:1883 is already used by transportConnector "mqtt" (3:3)`},
		{"tls without sslContext", func(b *Broker) { b.SSLContext = nil },
			`activemq.xml:4:3: transportConnector "mqtts": mqtt+ssl needs TLS but the broker has no <sslContext>`},
		{"tls without keyStore", func(b *Broker) { b.SSLContext.KeyStore = "" },
			`activemq.xml:4:3: transportConnector "mqtts": mqtt+ssl needs TLS but <sslContext> has no keyStore`},
		{"keepalive above max", func(b *Broker) { b.TransportConnectors[3].DefaultKeepAlive = 10 * time.Minute },
			`activemq.xml:6:3: transportConnector "ws": transport.defaultKeepAlive 600000ms exceeds transport.maxKeepAlive 300000ms`},
		{"user without name", func(b *Broker) { b.Authentication.Users[0].Name = "" },
			`activemq.xml:8:3: simpleAuthenticationPlugin: user without a name`},
		{"duplicate user", func(b *Broker) { b.Authentication.Users[0].Name = "bridge" },
			`activemq.xml:9:3: simpleAuthenticationPlugin: duplicate user "bridge" (first at 8:3)`},
		{"bad acl pattern", func(b *Broker) { b.Authorization.Entries[1].Dest.Name = "events.>.x" },
			`activemq.xml:12:3: authorizationEntry topic="events.>.x": dest: '>' must be the last segment: "events.>.x"`},
		{"empty acl group", func(b *Broker) { b.Authorization.Entries[0].Write = []string{"admins", ""} },
			`activemq.xml:11:3: warning: authorizationEntry: empty group name in write=`},
		{"authorization without authentication", func(b *Broker) { b.Authentication = nil; b.NetworkConnectors[0].UserName = "" },
			`activemq.xml:10:3: warning: authorizationPlugin without an authentication plugin: every operation fails with "User is not authenticated"`},
		{"bad policy pattern", func(b *Broker) { b.Policy.Entries[0].Dest.Name = "" },
			`activemq.xml:14:3: policyEntry topic="": dest: empty destination name`},
		{"duplicate policy", func(b *Broker) { b.Policy.Entries[1].Dest = dest.T(">") },
			`activemq.xml:15:3: warning: policyEntry topic=">": duplicate entry (first at 14:3); only one of them applies`},
		{"gc without purge", func(b *Broker) { b.SchedulePeriodForDestinationPurge = 0 },
			`activemq.xml:14:3: warning: policyEntry topic=">": gcInactiveDestinations has no effect while broker schedulePeriodForDestinationPurge is 0`},
		{"prefetch 0", func(b *Broker) { b.NetworkConnectors[0].PrefetchSize = 0 },
			`activemq.xml:16:3: networkConnector "tokyo-singapore": prefetchSize must be > 0, got 0`},
		{"ttl -2", func(b *Broker) { b.NetworkConnectors[0].ConsumerTTL = -2 },
			`activemq.xml:16:3: networkConnector "tokyo-singapore": consumerTTL must be >= -1, got -2`},
		{"duplicate network name", func(b *Broker) { b.NetworkConnectors[1].Name = "tokyo-singapore" },
			`activemq.xml:19:3: networkConnector "tokyo-singapore": duplicate name (first at 16:3); give each connector a unique name`},
		{"masterslave with one peer", func(b *Broker) { b.NetworkConnectors[1].Peers = b.NetworkConnectors[1].Peers[:1] },
			`activemq.xml:19:3: networkConnector "tokyo-osaka": masterslave needs at least 2 peers, got 1`},
		{"unparsable uri", func(b *Broker) {
			nc := &b.NetworkConnectors[0]
			nc.Mode, nc.Peers, nc.URI = "", nil, "static:(http://x:1)"
		},
			`activemq.xml:16:3: networkConnector "tokyo-singapore": uri "static:(http://x:1)": peer "http://x:1": scheme "http" is not supported for network bridges (want tcp, ssl, nio, nio+ssl, auto, auto+ssl, stomp or stomp+ssl)`},
		{"bridge user unknown", func(b *Broker) { b.NetworkConnectors[0].UserName = "ghost" },
			`activemq.xml:16:3: warning: networkConnector "tokyo-singapore": userName "ghost" has no password and no local user of that name`},
		{"wildcard pre-created", func(b *Broker) { b.Destinations[0].Dest.Name = "orders.*" },
			`activemq.xml:20:3: destinations: queue "orders.*": a pre-created destination cannot be a wildcard`},
		{"bad sync mode", func(b *Broker) { b.Persistence.SyncMode = "sometimes" },
			`<default>: kahaDB: journalDiskSyncStrategy must be always, periodic or never, got "sometimes"`},
		{"zero memory", func(b *Broker) { b.SystemUsage.MemoryLimit = 0 },
			`activemq.xml:1:3: systemUsage: memoryUsage limit must be > 0, got 0`},
		{"odd broker name", func(b *Broker) { b.Name = "tokyo east" },
			`activemq.xml:1:3: warning: broker: brokerName "tokyo east" contains " "; ActiveMQ replaces characters outside [A-Za-z0-9._-:] with '_'`},
		{"odd store type", func(b *Broker) { b.SSLContext.KeyStoreType = "bks" },
			`activemq.xml:2:3: warning: sslContext: unknown keyStoreType "bks" (Hashi reads PEM, PKCS#12 and JKS files, whatever the type says)`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := sample()
			tc.change(&c.Broker)
			ps := c.Validate()
			if len(ps) != 1 || ps[0].String() != tc.want {
				t.Errorf("got %d problems:\n%s\nwant:\n%s", len(ps), dump(ps), tc.want)
			}
		})
	}
}

func dump(ps Problems) string {
	var s []string
	for _, p := range ps {
		s = append(s, p.String())
	}
	return strings.Join(s, "\n")
}
