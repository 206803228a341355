package bench

import (
	"errors"
	"flag"
	"io"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/hashi-broker/hashi/broker/mqtt/packet"
)

func TestParseURL(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Endpoint
	}{
		{"mqtt://127.0.0.1:1883", Endpoint{"mqtt", false, "127.0.0.1:1883", "127.0.0.1"}},
		{"127.0.0.1:1884", Endpoint{"mqtt", false, "127.0.0.1:1884", "127.0.0.1"}},
		{"tcp://broker.example.com", Endpoint{"mqtt", false, "broker.example.com:1883", "broker.example.com"}},
		{"mqtts://broker.example.com", Endpoint{"mqtt", true, "broker.example.com:8883", "broker.example.com"}},
		{"ssl://h:9000", Endpoint{"mqtt", true, "h:9000", "h"}},
		{"MQTT+SSL://h", Endpoint{"mqtt", true, "h:8883", "h"}},
		{"stomp://h", Endpoint{"stomp", false, "h:61613", "h"}},
		{"stomp+ssl://h:1", Endpoint{"stomp", true, "h:1", "h"}},
		{"stomps://[::1]:5", Endpoint{"stomp", true, "[::1]:5", "::1"}},
		{"mqtt://h:1/", Endpoint{"mqtt", false, "h:1", "h"}},
	} {
		got, err := ParseURL(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("ParseURL(%q) = %+v, %v; want %+v", tc.in, got, err, tc.want)
		}
	}
	for _, in := range []string{"ws://h:1", "mqtt://", "mqtt://h:0", "mqtt://h:99999", "mqtt://h:x", "mqtt://h:1/topic", "mqtt://u:p@h:1", "mqtt://h:1?a=b", "%"} {
		if ep, err := ParseURL(in); !errors.Is(err, ErrConfig) {
			t.Errorf("ParseURL(%q) = %+v, %v; want ErrConfig", in, ep, err)
		}
	}
}

func TestParseFlagsDefaults(t *testing.T) {
	for _, tc := range []struct {
		scenario   string
		pubs, subs int
		qos        byte
		rate       float64
		url        string
		duration   time.Duration
	}{
		{"fanin", 8, 1, 0, 0, "mqtt://127.0.0.1:1883", 10 * time.Second},
		{"fanout", 1, 8, 0, 0, "mqtt://127.0.0.1:1883", 10 * time.Second},
		{"latency", 1, 1, 0, 2000, "mqtt://127.0.0.1:1883", 10 * time.Second},
		{"queue", 1, 1, 1, 0, "stomp://127.0.0.1:61613", 10 * time.Second},
		{"conns", 1, 1, 0, 0, "mqtt://127.0.0.1:1883", 5 * time.Second},
	} {
		cfg, err := ParseFlags(tc.scenario, nil, io.Discard)
		if err != nil {
			t.Fatalf("%s: %v", tc.scenario, err)
		}
		if cfg.Publishers != tc.pubs || cfg.Subscribers != tc.subs || cfg.QoS != tc.qos || cfg.Rate != tc.rate ||
			cfg.URL != tc.url || cfg.Duration != tc.duration || cfg.Size != 64 || cfg.MQTTVersion != packet.V311 {
			t.Errorf("%s: defaults %+v", tc.scenario, cfg)
		}
		if !strings.HasPrefix(cfg.Topic, "hashi-bench/") || len(cfg.Topic) != len("hashi-bench/")+8 {
			t.Errorf("%s: topic %q", tc.scenario, cfg.Topic)
		}
	}
}

func TestParseFlags(t *testing.T) {
	cfg, err := ParseFlags("bridge", strings.Fields(
		"--url mqtt://a:1 --sub-url mqtt://b:2 --qos 1 --size 100 --messages 5 --publishers 3 --subscribers 2 "+
			"--rate 500 --inflight 10 --mqtt 5 --user u --password p --insecure --through-relay "+
			"--drain 3s --idle 1s --keepalive 30s --cpuprofile gen.prof --tag workload=x --tag broker=hashi --topic t/1"), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	want := Config{Scenario: Bridge, URL: "mqtt://a:1", SubURL: "mqtt://b:2", Topic: "t/1", QoS: 1, Size: 100, Messages: 5,
		Publishers: 3, Subscribers: 2, Rate: 500, Inflight: 10, Conns: 1000, KeepAlive: 30 * time.Second, MQTTVersion: packet.V5,
		Username: "u", Password: "p", Insecure: true, ThroughRelay: true, CPUProfile: "gen.prof", Drain: 3 * time.Second, Idle: time.Second, Warmup: 10 * time.Second}
	tags := cfg.Tags
	cfg.Tags = nil
	if !reflect.DeepEqual(cfg, want) {
		t.Errorf("got  %+v\nwant %+v", cfg, want)
	}
	if tags["workload"] != "x" || tags["broker"] != "hashi" || len(tags) != 2 {
		t.Errorf("tags %v", tags)
	}
	if _, err := ParseFlags("fanin", []string{"-h"}, io.Discard); !errors.Is(err, flag.ErrHelp) {
		t.Errorf("-h: %v", err)
	}
}

// TestParseFlagsErrors checks that every problem is reported at once.
func TestParseFlagsErrors(t *testing.T) {
	_, err := ParseFlags("bridge", strings.Fields("--qos 3 --size 10 --mqtt 4.0 --url ws://x"), io.Discard)
	if !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), "4.0") {
		t.Fatalf("err = %v", err)
	}
	_, err = ParseFlags("bridge", strings.Fields("--qos 3 --size 10 --url ws://x --publishers -1"), io.Discard)
	for _, want := range []string{"QoS 3", "size 10", "ws", "--sub-url", "publishers"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v does not mention %q", err, want)
		}
	}
	if _, err := ParseFlags("queue", []string{"--url", "mqtt://h:1"}, io.Discard); err == nil || !strings.Contains(err.Error(), "STOMP") {
		t.Errorf("queue over MQTT: %v", err)
	}
	if _, err := ParseFlags("fanin", []string{"--url", "stomp://h:1", "--qos", "2"}, io.Discard); err == nil {
		t.Error("STOMP QoS 2 accepted")
	}
	if _, err := ParseFlags("fanin", []string{"--tag", "novalue"}, io.Discard); err == nil {
		t.Error("--tag without = accepted")
	}
	if _, err := ParseFlags("fanin", []string{"extra"}, io.Discard); err == nil {
		t.Error("positional argument accepted")
	}
	if _, err := ParseFlags("nosuch", nil, io.Discard); err == nil {
		t.Error("unknown scenario accepted")
	}
}
