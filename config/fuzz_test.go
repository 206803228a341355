package config

import (
	"strings"
	"testing"
)

func FuzzParseTransportURI(f *testing.F) {
	for _, s := range []string{
		"mqtt://127.0.0.1:1883", "mqtt+nio+ssl://0.0.0.0:8883?transport.needClientAuth=true",
		"stomp://0.0.0.0:61613?transport.defaultHeartBeat=5000,0&wireFormat.maxDataLength=1024",
		"ws://[::1]:61614/", "amqp://h:5672", "tcp://h:1?maximumConnections=%zz", "auto+ssl://:0?x=1&&y",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, uri string) {
		tc, _, err := ParseTransportURI(uri)
		if err != nil || tc.Protocol == ProtoAMQP {
			return
		}
		// A parsed connector is usable: a known protocol and a host:port address.
		if tc.Addr == "" || !strings.Contains(tc.Addr, ":") {
			t.Fatalf("%q parsed with address %q", uri, tc.Addr)
		}
		if _, ok := transportSchemes[tc.Scheme]; !ok {
			t.Fatalf("%q parsed with scheme %q", uri, tc.Scheme)
		}
	})
}

func FuzzParseNetworkURI(f *testing.F) {
	for _, s := range []string{
		"static:(tcp://h1:61616,ssl://h2:61617)?initialReconnectDelay=100", "static:tcp://h:1",
		"masterslave:(tcp://a:1,tcp://b:2)", "static:(failover:(tcp://a:1,tcp://b:2)?randomize=false),tcp://c:3)",
		"static://((((", "multicast://default", "static:(tcp://h:1)?backOffMultiplier=1e308",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, uri string) {
		nu, _, err := ParseNetworkURI(uri)
		if err != nil {
			return
		}
		if len(nu.Peers) == 0 || len(nu.Bridges) == 0 || (nu.Mode != "static" && nu.Mode != "masterslave") {
			t.Fatalf("%q parsed as %+v", uri, nu)
		}
		if nu.Mode == "masterslave" && len(nu.Bridges) != 1 {
			t.Fatalf("%q: masterslave with %d bridges", uri, len(nu.Bridges))
		}
		n := 0
		for _, b := range nu.Bridges {
			if len(b) == 0 {
				t.Fatalf("%q: empty bridge", uri)
			}
			n += len(b)
		}
		if n != len(nu.Peers) {
			t.Fatalf("%q: %d peers in bridges, %d in Peers", uri, n, len(nu.Peers))
		}
	})
}
