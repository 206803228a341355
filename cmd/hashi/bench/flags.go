package bench

import (
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"
)

// tagFlag collects repeated --tag key=value flags.
type tagFlag map[string]string

func (t tagFlag) String() string {
	keys := make([]string, 0, len(t))
	for k := range t {
		keys = append(keys, k+"="+t[k])
	}
	sort.Strings(keys)
	return strings.Join(keys, ",")
}

func (t tagFlag) Set(v string) error {
	k, val, ok := strings.Cut(v, "=")
	if !ok || k == "" {
		return fmt.Errorf("want key=value, got %q", v)
	}
	t[k] = val
	return nil
}

// ParseFlags parses the command line of `hashi bench SCENARIO` into a
// Config with defaults applied and validated. Usage and errors go to
// stderr; flag.ErrHelp is returned for -h.
func ParseFlags(scenario string, args []string, stderr io.Writer) (Config, error) {
	cfg := Config{Scenario: Scenario(scenario), Tags: map[string]string{}}
	fs := flag.NewFlagSet("hashi bench "+scenario, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&cfg.URL, "url", "", "broker URL: mqtt://, mqtts://, stomp://, stomps:// host:port (default mqtt://127.0.0.1:1883; queue: stomp://127.0.0.1:61613)")
	fs.StringVar(&cfg.SubURL, "sub-url", "", "bridge: the broker the subscribers use")
	fs.StringVar(&cfg.Topic, "topic", "", "topic (STOMP: '/' becomes '.'); default hashi-bench/<random>")
	qos := fs.Int("qos", -1, "QoS 0, 1 or 2; queue: 1 = receipts and client acks (default 0; queue 1)")
	fs.IntVar(&cfg.Size, "size", 64, "payload bytes (at least 24)")
	fs.IntVar(&cfg.Messages, "messages", 0, "messages per publisher (0 = until --duration)")
	fs.DurationVar(&cfg.Duration, "duration", 0, "publishing time (default 10s, conns: holding time 5s, unless --messages)")
	fs.IntVar(&cfg.Publishers, "publishers", 0, "publishing connections (default 8 for fanin, else 1)")
	fs.IntVar(&cfg.Subscribers, "subscribers", 0, "subscribing connections (default 8 for fanout, else 1)")
	fs.Float64Var(&cfg.Rate, "rate", 0, "total messages per second over all publishers (0 = as fast as possible; latency: 2000)")
	fs.IntVar(&cfg.Inflight, "inflight", 1000, "unacknowledged QoS 1/2 messages or receipts per publisher")
	fs.IntVar(&cfg.Conns, "conns", 1000, "conns: connections to open")
	fs.DurationVar(&cfg.KeepAlive, "keepalive", 0, "MQTT keep-alive (default 60s)")
	fs.IntVar(&cfg.PID, "pid", 0, "conns: broker process id whose RSS (/proc/PID/status VmRSS) is measured")
	mqttVersion := fs.String("mqtt", "3.1.1", "MQTT version: 3.1.1 or 5")
	fs.StringVar(&cfg.Username, "user", "", "user name")
	fs.StringVar(&cfg.Password, "password", "", "password")
	fs.StringVar(&cfg.CAFile, "cafile", "", "PEM CA certificates for TLS URLs")
	fs.BoolVar(&cfg.Insecure, "insecure", false, "TLS without verifying the broker's certificate")
	fs.BoolVar(&cfg.ThroughRelay, "through-relay", false, "connect through an in-process zero-work TCP relay")
	fs.StringVar(&cfg.CPUProfile, "cpuprofile", "", "write the generator's CPU profile to this file (to check it is not the bottleneck)")
	fs.DurationVar(&cfg.Drain, "drain", 0, "longest wait for stragglers after publishing ends (default 10s)")
	fs.DurationVar(&cfg.Idle, "idle", 0, "stop waiting when nothing arrived for this long (default 2s)")
	fs.DurationVar(&cfg.Warmup, "warmup", 0, "longest wait for the subscriptions to carry a probe (default 10s)")
	fs.Var(tagFlag(cfg.Tags), "tag", "key=value copied into the result (repeatable)")
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	if fs.NArg() > 0 {
		return cfg, fmt.Errorf("%w: unexpected argument %q", ErrConfig, fs.Arg(0))
	}
	switch {
	case *qos >= 0 && *qos <= 255:
		cfg.QoS = byte(*qos)
	case *qos == -1 && cfg.Scenario == Queue:
		cfg.QoS = 1
	case *qos != -1:
		return cfg, fmt.Errorf("%w: QoS %d", ErrConfig, *qos)
	}
	v, err := ParseMQTTVersion(*mqttVersion)
	if err != nil {
		return cfg, err
	}
	cfg.MQTTVersion = v
	if len(cfg.Tags) == 0 {
		cfg.Tags = nil
	}
	cfg.SetDefaults()
	return cfg, cfg.Validate()
}
