package bench

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/hashi-broker/hashi/broker/mqtt/packet"
	"github.com/hashi-broker/hashi/broker/server"
	"github.com/hashi-broker/hashi/xml"
)

const connectorsXML = `<transportConnectors>
    <transportConnector name="mqtt" uri="mqtt://127.0.0.1:0"/>
    <transportConnector name="stomp" uri="stomp://127.0.0.1:0"/>
  </transportConnectors>`

// startHashi runs an in-process Hashi broker and returns its MQTT and STOMP
// URLs.
func startHashi(t *testing.T, name, extra string) (mqttURL, stompURL string) {
	t.Helper()
	doc := `<broker xmlns="http://activemq.apache.org/schema/core" brokerName="` + name + `">` + connectorsXML + extra + `</broker>`
	cfg, problems := xml.Load("t.xml", []byte(doc), xml.Options{WorkDir: t.TempDir()})
	if cfg == nil || problems.HasErrors() {
		t.Fatalf("config: %v", problems)
	}
	srv, err := server.New(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
	})
	return "mqtt://" + srv.Addr("mqtt").String(), "stomp://" + srv.Addr("stomp").String()
}

// noLoss fails unless every expected message arrived exactly once, intact.
func noLoss(t *testing.T, res *Result, sent, expected int64) {
	t.Helper()
	want := Counts{Expected: expected, Received: expected}
	if res.Sent != sent || res.Counts != want || len(res.Errors) > 0 {
		t.Fatalf("sent %d, counts %+v, errors %v; want sent %d, %+v", res.Sent, res.Counts, res.Errors, sent, want)
	}
	if res.MsgsPerSec <= 0 || res.DurationSec <= 0 || res.P50us <= 0 || res.P50us > res.P90us || res.P90us > res.MaxUs {
		t.Errorf("rates or latencies: %+v", res)
	}
}

// Runs against Hashi stay short: every connection here lives under 5 s.
func TestHashiFanIn(t *testing.T) {
	mqttURL, _ := startHashi(t, "fanin", "")
	for _, qos := range []byte{0, 1} {
		cfg := quick(FanIn, mqttURL)
		cfg.Publishers, cfg.Messages, cfg.QoS = 4, 1500, qos
		res := mustRun(t, cfg)
		noLoss(t, res, 6000, 6000)
		if qos == 1 && res.Acked != 6000 {
			t.Errorf("acked %d", res.Acked)
		}
	}
}

func TestHashiFanOut(t *testing.T) {
	mqttURL, _ := startHashi(t, "fanout", "")
	cfg := quick(FanOut, mqttURL)
	cfg.Subscribers, cfg.Messages, cfg.QoS, cfg.MQTTVersion = 4, 3000, 1, packet.V5
	res := mustRun(t, cfg)
	noLoss(t, res, 3000, 12000)
	if len(res.PerSubscriber) != 4 || res.PerSubscriber[3].Received != 3000 {
		t.Errorf("per subscriber: %+v", res.PerSubscriber)
	}
}

func TestHashiLatency(t *testing.T) {
	mqttURL, _ := startHashi(t, "latency", "")
	cfg := quick(Latency, mqttURL)
	cfg.Duration = time.Second
	res := mustRun(t, cfg)
	if res.Sent < 1800 || res.Sent > 2010 {
		t.Errorf("sent %d at 2000/s for 1 s", res.Sent)
	}
	noLoss(t, res, res.Sent, res.Sent)
	if res.MsgsPerSec < 1500 || res.MsgsPerSec > 2200 || res.P50us > 50000 {
		t.Errorf("paced run: %.0f msgs/s, p50 %.0f µs", res.MsgsPerSec, res.P50us)
	}
}

func TestHashiQueue(t *testing.T) {
	_, stompURL := startHashi(t, "queue", "")
	for _, qos := range []byte{1, 0} {
		cfg := quick(Queue, stompURL)
		cfg.Publishers, cfg.Subscribers, cfg.Messages, cfg.QoS = 2, 2, 2000, qos
		res := mustRun(t, cfg)
		noLoss(t, res, 4000, 4000)
		if qos == 1 && res.Acked != 4000 {
			t.Errorf("receipts %d", res.Acked)
		}
	}
}

// TestHashiStompTopic: fanout over STOMP topics.
func TestHashiStompTopic(t *testing.T) {
	_, stompURL := startHashi(t, "stomptopic", "")
	cfg := quick(FanOut, stompURL)
	cfg.Subscribers, cfg.Messages = 2, 2000
	res := mustRun(t, cfg)
	noLoss(t, res, 2000, 4000)
}

// TestHashiBridge publishes on one broker and subscribes on another that
// it forwards to over a networkConnector.
func TestHashiBridge(t *testing.T) {
	mqttB, stompB := startHashi(t, "bridge-b", "")
	mqttA, _ := startHashi(t, "bridge-a", `<networkConnectors><networkConnector name="a-to-b" uri="static:(`+
		stompB+`)" duplex="false"/></networkConnectors>`)
	cfg := quick(Bridge, mqttA)
	cfg.SubURL, cfg.Messages, cfg.QoS = mqttB, 3000, 1
	res := mustRun(t, cfg)
	noLoss(t, res, 3000, 3000)
	if res.SubURL != mqttB {
		t.Errorf("sub_url %q", res.SubURL)
	}
}

// TestHashiConns holds connections to the in-process broker and reads this
// process's RSS.
func TestHashiConns(t *testing.T) {
	mqttURL, _ := startHashi(t, "conns", "")
	cfg := quick(Conns, mqttURL)
	cfg.Conns, cfg.Duration, cfg.PID, cfg.KeepAlive = 300, 1500*time.Millisecond, os.Getpid(), 2*time.Second
	res := mustRun(t, cfg)
	if res.Conns != 300 || res.ConnectFailed != 0 || res.Dropped != 0 || res.ConnectPerSec <= 0 {
		t.Fatalf("%+v", res)
	}
	if res.RSSBeforeKiB <= 0 || res.RSSAfterKiB <= 0 || res.RSSEndKiB <= 0 {
		t.Errorf("RSS %d → %d → %d KiB", res.RSSBeforeKiB, res.RSSAfterKiB, res.RSSEndKiB)
	}
	if _, err := Run(context.Background(), Config{Scenario: Conns, URL: mqttURL, PID: 1 << 30}); err == nil {
		t.Error("a missing --pid process was accepted")
	}
}

// TestRefusedRunFails: a broker that is not there is an error, not a result.
func TestRefusedRunFails(t *testing.T) {
	sink := startSink(t)
	addr := sink.Addr()
	sink.Close()
	cfg := quick(FanIn, addr)
	cfg.Messages = 1
	if _, err := Run(context.Background(), cfg); err == nil {
		t.Fatal("no error")
	}
}
