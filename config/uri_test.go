package config

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestParseTransportURI(t *testing.T) {
	type want struct {
		proto Protocol
		tls   bool
		addr  string
	}
	for _, tc := range []struct {
		uri  string
		want want
		err  string // substring of the error; "" = no error
		warn string // substring of the only warning; "" = none
	}{
		{uri: "mqtt://127.0.0.1:1883", want: want{ProtoMQTT, false, "127.0.0.1:1883"}},
		{uri: "mqtt+nio://0.0.0.0:1883", want: want{ProtoMQTT, false, "0.0.0.0:1883"}},
		{uri: "mqtt+ssl://0.0.0.0:8883", want: want{ProtoMQTT, true, "0.0.0.0:8883"}},
		{uri: "mqtt+nio+ssl://broker.example.com:8883", want: want{ProtoMQTT, true, "broker.example.com:8883"}},
		{uri: "stomp://0.0.0.0:61613?transport.closeAsync=false", want: want{ProtoSTOMP, false, "0.0.0.0:61613"}},
		{uri: "stomp+nio://0.0.0.0:61613", want: want{ProtoSTOMP, false, "0.0.0.0:61613"}},
		{uri: "stomp+ssl://0.0.0.0:61614", want: want{ProtoSTOMP, true, "0.0.0.0:61614"}},
		{uri: "stomp+nio+ssl://0.0.0.0:61614", want: want{ProtoSTOMP, true, "0.0.0.0:61614"}},
		{uri: "tcp://localhost:61616", want: want{ProtoAuto, false, "localhost:61616"}},
		{uri: "nio://0.0.0.0:61616", want: want{ProtoAuto, false, "0.0.0.0:61616"}},
		{uri: "ssl://0.0.0.0:61617", want: want{ProtoAuto, true, "0.0.0.0:61617"}},
		{uri: "nio+ssl://0.0.0.0:61617", want: want{ProtoAuto, true, "0.0.0.0:61617"}},
		{uri: "auto://0.0.0.0:5671?protocolDetectionTimeOut=5000", want: want{ProtoAuto, false, "0.0.0.0:5671"}},
		{uri: "auto+nio://0.0.0.0:5671", want: want{ProtoAuto, false, "0.0.0.0:5671"}},
		{uri: "auto+ssl://0.0.0.0:5671", want: want{ProtoAuto, true, "0.0.0.0:5671"}},
		{uri: "auto+nio+ssl://0.0.0.0:5671", want: want{ProtoAuto, true, "0.0.0.0:5671"}},
		{uri: "ws://localhost:61614/", want: want{ProtoWS, false, "localhost:61614"}},
		{uri: "wss://0.0.0.0:61619", want: want{ProtoWS, true, "0.0.0.0:61619"}},
		{uri: "WS://[::]:61614", want: want{ProtoWS, false, "[::]:61614"}},
		{uri: "mqtt://:1883", want: want{ProtoMQTT, false, ":1883"}},
		{uri: "mqtt://127.0.0.1:0", want: want{ProtoMQTT, false, "127.0.0.1:0"}},
		{uri: "amqp://0.0.0.0:5672", want: want{ProtoAMQP, false, ""}, warn: "AMQP is not supported"},
		{uri: "amqp+ssl://0.0.0.0:5671", want: want{ProtoAMQP, true, ""}, warn: "AMQP is not supported"},
		{uri: "mqtt://0.0.0.0:1883/mqtt", want: want{ProtoMQTT, false, "0.0.0.0:1883"}, warn: `path "/mqtt" is ignored`},
		{uri: "mqtt://h:1883?foo=bar", want: want{ProtoMQTT, false, "h:1883"}, warn: `unknown option "foo"`},
		{uri: "mqtt://h:1883?transport.needClientAuth=true", want: want{ProtoMQTT, false, "h:1883"}, warn: "no effect without TLS"},
		{uri: "mqtt://0.0.0.0", err: "missing port"},
		{uri: "mqtt://0.0.0.0:", err: "missing port"},
		{uri: "mqtt://0.0.0.0:99999", err: `bad port "99999"`},
		{uri: "mqtt://0.0.0.0:x", err: "invalid port"},
		{uri: "http://0.0.0.0:8080", err: `unsupported scheme "http"`},
		{uri: "vm://localhost", err: `unsupported scheme "vm"`},
		{uri: "mqtt:0.0.0.0:1883", err: "want mqtt://host:port"},
		{uri: "", err: "missing scheme"},
		{uri: "0.0.0.0:1883", err: "first path segment"},
		{uri: "mqtt://h:1?maximumConnections=lots", err: "option maximumConnections"},
		{uri: "stomp://h:1?transport.defaultHeartBeat=5000", err: "heart-beat pair"},
		{uri: "mqtt://h:1?transport.defaultKeepAlive=-5", err: "must be >= 0"},
		{uri: "mqtt://h:1?wireFormat.maxFrameSize=big", err: "not a size"},
		{uri: "mqtt://h:1?a=%zz", err: "bad query option"},
	} {
		tc2, warns, err := ParseTransportURI(tc.uri)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%q: error %v, want one containing %q", tc.uri, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", tc.uri, err)
			continue
		}
		if got := (want{tc2.Protocol, tc2.TLS, tc2.Addr}); got != tc.want {
			t.Errorf("%q: got %+v, want %+v", tc.uri, got, tc.want)
		}
		switch {
		case tc.warn == "" && len(warns) != 0:
			t.Errorf("%q: unexpected warnings %q", tc.uri, warns)
		case tc.warn != "" && (len(warns) != 1 || !strings.Contains(warns[0], tc.warn)):
			t.Errorf("%q: warnings %q, want one containing %q", tc.uri, warns, tc.warn)
		}
	}
}

func TestParseTransportURIOptions(t *testing.T) {
	tc, warns, err := ParseTransportURI("mqtt+ssl://0.0.0.0:8883?maximumConnections=1000&wireFormat.maxFrameSize=104857600" +
		"&transport.needClientAuth=true&transport.keepAlive=true&transport.defaultKeepAlive=60000&transport.maxKeepAlive=300000" +
		"&transport.subscriptionStrategy=mqtt-virtual-topic-subscriptions&backlog=5000")
	if err != nil || len(warns) != 0 {
		t.Fatalf("err %v, warnings %q", err, warns)
	}
	if tc.MaximumConnections != 1000 || tc.MaxFrameSize != 104857600 || !tc.NeedClientAuth || tc.WantClientAuth ||
		tc.DefaultKeepAlive != time.Minute || tc.MaxKeepAlive != 5*time.Minute || tc.Scheme != "mqtt+ssl" || !tc.TCPKeepAlive {
		t.Errorf("got %+v", tc)
	}
	if tc.Options["transport.subscriptionStrategy"] != "mqtt-virtual-topic-subscriptions" {
		t.Errorf("options %v", tc.Options)
	}
	if tc, _, _ := ParseTransportURI("mqtt://h:1"); tc.TCPKeepAlive {
		t.Error("TCP keep-alive is on without transport.keepAlive")
	}
	// STOMP: the smaller of maxDataLength and maxFrameSize wins; the heart-beat is kept.
	tc, _, err = ParseTransportURI("stomp://h:61613?wireFormat.maxFrameSize=2 mb&wireFormat.maxDataLength=1048576&transport.defaultHeartBeat=5000, 0")
	if err != nil || tc.MaxFrameSize != 1<<20 || tc.DefaultHeartBeat != "5000,0" {
		t.Errorf("stomp: %+v, %v", tc, err)
	}
}

func TestParseNetworkURI(t *testing.T) {
	for _, tc := range []struct {
		uri     string
		mode    string
		bridges [][]string
		err     string
		warn    string
	}{
		{uri: "static:(tcp://h1:61616,ssl://h2:61617)", mode: "static", bridges: [][]string{{"tcp://h1:61616"}, {"ssl://h2:61617"}}},
		{uri: "static:tcp://h1:61616", mode: "static", bridges: [][]string{{"tcp://h1:61616"}}},
		{uri: "static://(tcp://h1:61616)", mode: "static", bridges: [][]string{{"tcp://h1:61616"}}},
		{uri: "static:( tcp://h1:61616 , tcp://h2:61616 )", mode: "static", bridges: [][]string{{"tcp://h1:61616"}, {"tcp://h2:61616"}}},
		{uri: "static:(stomp+ssl://h:1,auto+ssl://h:2,nio+ssl://h:3,nio://h:4,auto://h:5,stomp://h:6)", mode: "static",
			bridges: [][]string{{"stomp+ssl://h:1"}, {"auto+ssl://h:2"}, {"nio+ssl://h:3"}, {"nio://h:4"}, {"auto://h:5"}, {"stomp://h:6"}}},
		{uri: "masterslave:(tcp://a:61616,tcp://b:61616)", mode: "masterslave", bridges: [][]string{{"tcp://a:61616", "tcp://b:61616"}}},
		{uri: "masterslave://(tcp://a:1,tcp://b:2,tcp://c:3)", mode: "masterslave", bridges: [][]string{{"tcp://a:1", "tcp://b:2", "tcp://c:3"}}},
		{uri: "static:(failover:(tcp://a:1,tcp://b:2)?randomize=false&maxReconnectAttempts=0)?useExponentialBackOff=false",
			mode: "masterslave", bridges: [][]string{{"tcp://a:1", "tcp://b:2"}}},
		{uri: "static:(failover:(tcp://a:1,tcp://b:2),tcp://c:3)", mode: "static", bridges: [][]string{{"tcp://a:1", "tcp://b:2"}, {"tcp://c:3"}}},
		{uri: "static:(failover:(tcp://a:1,tcp://b:2)?randomize=true)", mode: "masterslave",
			bridges: [][]string{{"tcp://a:1", "tcp://b:2"}}, warn: "randomize=true is ignored"},
		{uri: "static:(tcp://h:1)?foo=1", mode: "static", bridges: [][]string{{"tcp://h:1"}}, warn: `unknown option "foo"`},
		{uri: "static:(tcp://h:1)?discovered.trace=true", mode: "static", bridges: [][]string{{"tcp://h:1"}}, warn: "discovered.trace"},
		{uri: "static:(tcp://h:1?bogus=1)", mode: "static", bridges: [][]string{{"tcp://h:1?bogus=1"}}, warn: `unknown option "bogus"`},
		{uri: "static:(tcp://h:1?connectionTimeout=5000&wireFormat.maxInactivityDuration=0)", mode: "static", bridges: [][]string{{"tcp://h:1?connectionTimeout=5000&wireFormat.maxInactivityDuration=0"}}},
		{uri: "masterslave:(tcp://a:61616)", err: "masterslave: needs at least 2 uris, got 1"},
		{uri: "masterslave:(failover:(tcp://a:1,tcp://b:2))", err: "cannot be nested in masterslave"},
		{uri: "multicast://default", err: ErrMulticast.Error()},
		{uri: "tcp://h:61616", err: "use static:(tcp://h:61616)"},
		{uri: "failover:(tcp://a:1,tcp://b:2)", err: "use masterslave:"},
		{uri: "zeroconf:_activemq_development.", err: `unsupported discovery scheme "zeroconf"`},
		{uri: "static:(http://h:1)", err: `scheme "http" is not supported for network bridges`},
		{uri: "static:(tcp://h)", err: "missing port"},
		{uri: "static:(tcp://:1)", err: "missing host"},
		{uri: "static:(tcp://h1:1", err: "unbalanced parentheses"},
		{uri: "static:(tcp://h1:1)x", err: `unexpected "x" after ')'`},
		{uri: "static:()", err: "empty peer uri"},
		{uri: "static:(tcp://a:1,,tcp://b:2)", err: "empty peer uri"},
		{uri: "static:", err: "no peer uri"},
		{uri: "static:(tcp://h:1)?initialReconnectDelay=x", err: "option initialReconnectDelay"},
		{uri: "static:(tcp://h:1)?backOffMultiplier=0.5", err: "option backOffMultiplier"},
		{uri: "", err: "want static:"},
	} {
		nu, warns, err := ParseNetworkURI(tc.uri)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%q: error %v, want one containing %q", tc.uri, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", tc.uri, err)
			continue
		}
		if nu.Mode != tc.mode || !reflect.DeepEqual(nu.Bridges, tc.bridges) {
			t.Errorf("%q: mode %q bridges %q, want %q %q", tc.uri, nu.Mode, nu.Bridges, tc.mode, tc.bridges)
		}
		var flat []string
		for _, b := range tc.bridges {
			flat = append(flat, b...)
		}
		if !reflect.DeepEqual(nu.Peers, flat) {
			t.Errorf("%q: peers %q, want %q", tc.uri, nu.Peers, flat)
		}
		switch {
		case tc.warn == "" && len(warns) != 0:
			t.Errorf("%q: unexpected warnings %q", tc.uri, warns)
		case tc.warn != "" && (len(warns) != 1 || !strings.Contains(warns[0], tc.warn)):
			t.Errorf("%q: warnings %q, want one containing %q", tc.uri, warns, tc.warn)
		}
	}
	if _, _, err := ParseNetworkURI("multicast://default?group=x"); !errors.Is(err, ErrMulticast) {
		t.Errorf("multicast: %v is not ErrMulticast", err)
	}
}

// TestReconnectOptions checks the static discovery agent's defaults
// (reference §5.9) and every option.
func TestReconnectOptions(t *testing.T) {
	nu, _, err := ParseNetworkURI("static:(tcp://h:1)")
	if err != nil {
		t.Fatal(err)
	}
	want := Reconnect{InitialDelay: time.Second, MaxDelay: 30 * time.Second, UseExponentialBackOff: true,
		BackOffMultiplier: 2, MaxAttempts: 0, MinConnectTime: 5 * time.Second}
	if nu.Reconnect != want {
		t.Errorf("defaults %+v, want %+v", nu.Reconnect, want)
	}
	nu, warns, err := ParseNetworkURI("static:(tcp://h:1)?initialReconnectDelay=100&maxReconnectDelay=5000" +
		"&useExponentialBackOff=false&backOffMultiplier=3&maxReconnectAttempts=5&minConnectTime=1000")
	if err != nil || len(warns) != 0 {
		t.Fatal(err, warns)
	}
	want = Reconnect{InitialDelay: 100 * time.Millisecond, MaxDelay: 5 * time.Second, UseExponentialBackOff: false,
		BackOffMultiplier: 3, MaxAttempts: 5, MinConnectTime: time.Second}
	if nu.Reconnect != want {
		t.Errorf("options %+v, want %+v", nu.Reconnect, want)
	}
	nu, _, _ = ParseNetworkURI("static:(tcp://h:1)?maxReconnectAttempts=-1")
	if nu.Reconnect.MaxAttempts != 0 {
		t.Errorf("maxReconnectAttempts=-1 gave %d, want 0 (unlimited)", nu.Reconnect.MaxAttempts)
	}
}

// TestNetworkConnectorDefaults pins ActiveMQ 5.18's NetworkBridgeConfiguration
// defaults (reference §5.2), including decreaseNetworkConsumerPriority=true.
func TestNetworkConnectorDefaults(t *testing.T) {
	nc := NewNetworkConnector()
	checks := []struct {
		name      string
		got, want any
	}{
		{"name", nc.Name, "NC"},
		{"duplex", nc.Duplex, false},
		{"messageTTL", nc.MessageTTL, 1},
		{"consumerTTL", nc.ConsumerTTL, 1},
		{"conduitSubscriptions", nc.ConduitSubscriptions, true},
		{"dynamicOnly", nc.DynamicOnly, false},
		{"decreaseNetworkConsumerPriority", nc.DecreaseNetworkConsumerPriority, true},
		{"prefetchSize", nc.PrefetchSize, 1000},
		{"bridgeTempDestinations", nc.BridgeTempDestinations, true},
		{"staticBridge", nc.StaticBridge, false},
		{"alwaysSyncSend", nc.AlwaysSyncSend, true},
		{"demandGrace", nc.DemandGrace, 60 * time.Second},
		{"reconnect", nc.Reconnect, DefaultReconnect()},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
}

func TestBrokerDefaults(t *testing.T) {
	b := NewBroker()
	if b.Name != "localhost" || !b.Persistent || !b.AdvisorySupport || !b.UseVirtualTopics || !b.Start ||
		b.SystemUsage.MemoryLimit != 1<<30 || b.SystemUsage.StoreLimit != 100<<30 || b.SystemUsage.TempLimit != 50<<30 ||
		b.Persistence.Adapter != "kahaDB" || b.Persistence.SyncMode != "always" {
		t.Errorf("defaults %+v", b)
	}
	p := NewPolicyEntry()
	if !p.ProducerFlowControl || p.PendingMessageLimit != -1 || p.InactiveTimeoutBeforeGC != time.Minute || p.ExpireMessagesPeriod != 30*time.Second {
		t.Errorf("policy defaults %+v", p)
	}
}
