package bench

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/hashi-broker/hashi/broker/mqtt/packet"
)

// Scenario names a workload.
type Scenario string

// The scenarios.
const (
	FanIn   Scenario = "fanin"
	FanOut  Scenario = "fanout"
	Latency Scenario = "latency"
	Bridge  Scenario = "bridge"
	Queue   Scenario = "queue"
	Conns   Scenario = "conns"
)

// Scenarios lists every scenario, in the order the usage shows them.
var Scenarios = []Scenario{FanIn, FanOut, Latency, Conns, Bridge, Queue}

// ErrConfig is wrapped by every configuration error.
var ErrConfig = errors.New("bench: invalid configuration")

// Config is one benchmark run. Zero values mean the scenario's default
// (see SetDefaults).
type Config struct {
	Scenario Scenario
	URL      string // broker to publish to (and subscribe on, unless SubURL)
	SubURL   string // bridge: the broker to subscribe on
	Topic    string // MQTT topic; STOMP destinations use it with '/' → '.'; "" = hashi-bench/<random>

	QoS         byte // 0, 1 or 2 (MQTT); queue: 0 = no receipts, auto ack; 1 = receipts, client-individual ack
	Size        int  // payload bytes, at least HeaderLen
	Messages    int  // per publisher; 0 = until Duration
	Duration    time.Duration
	Publishers  int
	Subscribers int
	Rate        float64 // total messages per second over all publishers; 0 = as fast as possible
	Inflight    int     // unacknowledged QoS 1/2 messages or receipts per publisher

	Conns     int           // conns: connections to open
	KeepAlive time.Duration // MQTT keep-alive
	PID       int           // conns: the broker process whose RSS is read (0 = none)

	MQTTVersion byte // packet.V311 or packet.V5
	Username    string
	Password    string
	CAFile      string // PEM CA for TLS URLs
	Insecure    bool   // TLS without verifying the server

	ThroughRelay bool          // connect through an in-process zero-work relay
	CPUProfile   string        // write the generator's own CPU profile here (go tool pprof)
	Drain        time.Duration // longest wait for stragglers after the last publish
	Idle         time.Duration // stop waiting when nothing arrived for this long
	Warmup       time.Duration // longest wait for subscriptions to carry a probe

	Tags     map[string]string // copied into the result (workload, broker, round...)
	Progress io.Writer         // a progress line about once a second; nil = none
}

// SetDefaults fills zero fields with the scenario's defaults.
func (c *Config) SetDefaults() {
	if c.URL == "" {
		c.URL = "mqtt://127.0.0.1:1883"
		if c.Scenario == Queue {
			c.URL = "stomp://127.0.0.1:61613"
		}
	}
	if c.Topic == "" {
		c.Topic = "hashi-bench/" + randomID()
	}
	if c.Size == 0 {
		c.Size = 64
	}
	if c.Messages == 0 && c.Duration == 0 {
		c.Duration = 10 * time.Second
		if c.Scenario == Conns {
			c.Duration = 5 * time.Second
		}
	}
	if c.Publishers == 0 {
		c.Publishers = 1
		if c.Scenario == FanIn {
			c.Publishers = 8
		}
	}
	if c.Subscribers == 0 {
		c.Subscribers = 1
		if c.Scenario == FanOut {
			c.Subscribers = 8
		}
	}
	if c.Rate == 0 && c.Scenario == Latency {
		c.Rate = 2000
	}
	if c.Inflight == 0 {
		c.Inflight = 1000
	}
	if c.Conns == 0 {
		c.Conns = 1000
	}
	if c.KeepAlive == 0 {
		c.KeepAlive = 60 * time.Second
	}
	if c.MQTTVersion == 0 {
		c.MQTTVersion = packet.V311
	}
	if c.Drain == 0 {
		c.Drain = 10 * time.Second
	}
	if c.Idle == 0 {
		c.Idle = 2 * time.Second
	}
	if c.Warmup == 0 {
		c.Warmup = 10 * time.Second
	}
}

// Validate reports every problem of the configuration at once.
func (c *Config) Validate() error {
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("%w: "+format, append([]any{ErrConfig}, args...)...))
	}
	known := false
	for _, s := range Scenarios {
		known = known || s == c.Scenario
	}
	if !known {
		bad("unknown scenario %q", c.Scenario)
	}
	pub, err := ParseURL(c.URL)
	if err != nil {
		errs = append(errs, err)
	}
	if c.SubURL != "" {
		sub, err := ParseURL(c.SubURL)
		if err != nil {
			errs = append(errs, err)
		} else if pub.Proto != "" && sub.Proto != pub.Proto {
			bad("--url and --sub-url speak different protocols (%s, %s)", pub.Proto, sub.Proto)
		}
	}
	if c.Scenario == Bridge && c.SubURL == "" {
		bad("the bridge scenario needs --sub-url")
	}
	if c.Scenario == Queue && err == nil && pub.Proto != "stomp" {
		bad("the queue scenario needs a STOMP URL (stomp://...)")
	}
	if c.QoS > 2 {
		bad("QoS %d (0, 1 or 2)", c.QoS)
	}
	if pub.Proto == "stomp" && c.QoS > 1 {
		bad("STOMP has QoS 0 (no receipts) and 1 (receipts) only")
	}
	if c.Size < HeaderLen {
		bad("size %d is below the %d-byte message header", c.Size, HeaderLen)
	}
	if c.Size > 16<<20 {
		bad("size %d is above 16 MiB", c.Size)
	}
	if c.Messages < 0 || c.Duration < 0 || c.Rate < 0 {
		bad("negative messages, duration or rate")
	}
	if c.Messages == 0 && c.Duration == 0 {
		bad("neither messages nor duration bounds the run")
	}
	if c.Publishers < 1 || c.Subscribers < 1 {
		bad("publishers and subscribers must be at least 1")
	}
	if c.Inflight < 1 || c.Inflight > 65535 {
		bad("inflight %d (1..65535)", c.Inflight)
	}
	if c.Scenario == Conns && c.Conns < 1 {
		bad("conns must be at least 1")
	}
	if c.KeepAlive < time.Second || c.KeepAlive > 65535*time.Second {
		bad("keep-alive %v (1s..65535s)", c.KeepAlive)
	}
	if c.MQTTVersion != packet.V311 && c.MQTTVersion != packet.V5 {
		bad("MQTT protocol level %d (4 = 3.1.1, 5)", c.MQTTVersion)
	}
	if strings.ContainsAny(c.Topic, "+#") || c.Topic == "" {
		bad("topic %q must be a plain topic name", c.Topic)
	}
	return errors.Join(errs...)
}

// ParseMQTTVersion parses "3.1.1", "4", "5" or "5.0".
func ParseMQTTVersion(s string) (byte, error) {
	switch s {
	case "3.1.1", "311", "4":
		return packet.V311, nil
	case "5", "5.0":
		return packet.V5, nil
	}
	return 0, fmt.Errorf("%w: MQTT version %q (3.1.1 or 5)", ErrConfig, s)
}

// Endpoint is a parsed broker URL.
type Endpoint struct {
	Proto string // "mqtt" or "stomp"
	TLS   bool
	Addr  string // host:port
	Host  string // host name, for TLS server name checks
}

// String renders the endpoint as a URL.
func (e Endpoint) String() string {
	s := e.Proto
	if e.TLS {
		s += "s"
	}
	return s + "://" + e.Addr
}

var schemes = map[string]struct {
	proto string
	tls   bool
	port  string
}{
	"mqtt":      {"mqtt", false, "1883"},
	"tcp":       {"mqtt", false, "1883"},
	"mqtts":     {"mqtt", true, "8883"},
	"ssl":       {"mqtt", true, "8883"},
	"tls":       {"mqtt", true, "8883"},
	"mqtt+ssl":  {"mqtt", true, "8883"},
	"mqtt+tls":  {"mqtt", true, "8883"},
	"stomp":     {"stomp", false, "61613"},
	"stomps":    {"stomp", true, "61614"},
	"stomp+ssl": {"stomp", true, "61614"},
	"stomp+tls": {"stomp", true, "61614"},
}

// ParseURL parses a broker URL: mqtt:// (or tcp://), mqtts:// (ssl://,
// tls://, mqtt+ssl://), stomp://, stomps:// (stomp+ssl://). A bare
// host:port is MQTT. A missing port takes the scheme's usual one.
func ParseURL(s string) (Endpoint, error) {
	raw := s
	if !strings.Contains(s, "://") {
		s = "mqtt://" + s
	}
	u, err := url.Parse(s)
	if err != nil {
		return Endpoint{}, fmt.Errorf("%w: URL %q: %v", ErrConfig, raw, err)
	}
	sc, ok := schemes[strings.ToLower(u.Scheme)]
	if !ok {
		return Endpoint{}, fmt.Errorf("%w: URL %q: unsupported scheme %q (mqtt, mqtts, stomp, stomps)", ErrConfig, raw, u.Scheme)
	}
	if u.Path != "" && u.Path != "/" || u.RawQuery != "" || u.User != nil {
		return Endpoint{}, fmt.Errorf("%w: URL %q: only scheme://host:port is understood", ErrConfig, raw)
	}
	host, port := u.Hostname(), u.Port()
	if host == "" {
		return Endpoint{}, fmt.Errorf("%w: URL %q has no host", ErrConfig, raw)
	}
	if port == "" {
		port = sc.port
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return Endpoint{}, fmt.Errorf("%w: URL %q: bad port %q", ErrConfig, raw, port)
	}
	return Endpoint{Proto: sc.proto, TLS: sc.tls, Addr: net.JoinHostPort(host, port), Host: host}, nil
}

func randomID() string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
