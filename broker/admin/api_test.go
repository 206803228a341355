package admin_test

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/hashi-broker/hashi/broker/mqtt/packet"
	"github.com/hashi-broker/hashi/broker/server/servertest"
)

func TestBrokerInfo(t *testing.T) {
	e := startDefault(t)
	var b struct {
		Name       string `json:"name"`
		ID         string `json:"id"`
		Version    string `json:"version"`
		Started    time.Time
		Uptime     string `json:"uptime"`
		Connectors []struct {
			Name, URI, Addr, Protocol string
			TLS                       bool
			Connections               int
		} `json:"connectors"`
		Memory map[string]float64 `json:"memory"`
		Counts map[string]float64 `json:"counts"`
		Rates  []struct {
			T   int64 `json:"t"`
			In  int64 `json:"in"`
			Out int64 `json:"out"`
		} `json:"rates"`
	}
	c := e.admin()
	c.mustJSON(http.StatusOK, "POST", "/api/v1/send", map[string]any{"destination": "topic://rates.probe", "body": "x", "count": 5}, nil)
	// Rates are sampled once a second.
	servertest.WaitFor(t, 5*time.Second, "a rate sample counting the sends", func() bool {
		c.mustJSON(http.StatusOK, "GET", "/api/v1/broker", nil, &b)
		var in int64
		for _, r := range b.Rates {
			in += r.In
		}
		return in >= 5
	})
	if b.Name != "admintest" || !strings.HasPrefix(b.ID, "admintest") || b.Version == "" || b.Uptime == "" {
		t.Errorf("broker = %+v", b)
	}
	if len(b.Connectors) != 2 {
		t.Fatalf("connectors = %+v", b.Connectors)
	}
	for _, cn := range b.Connectors {
		if cn.Addr != e.srv.Addr(cn.Name).String() {
			t.Errorf("connector %s at %s, broker says %s", cn.Name, cn.Addr, e.srv.Addr(cn.Name))
		}
	}
	if b.Memory["heapAlloc"] <= 0 || b.Memory["goroutines"] <= 0 || b.Counts["published"] < 5 {
		t.Errorf("memory %v counts %v", b.Memory, b.Counts)
	}
}

type queueJSON struct {
	Destination string `json:"destination"`
	Pending     int    `json:"pending"`
	Consumers   int    `json:"consumers"`
	Enqueued    int    `json:"enqueued"`
	Dequeued    int    `json:"dequeued"`
}

type browsed struct {
	Messages []struct {
		ID         string            `json:"id"`
		Timestamp  int64             `json:"timestamp"`
		Persistent bool              `json:"persistent"`
		Priority   int               `json:"priority"`
		Expires    int64             `json:"expires"`
		Size       int               `json:"size"`
		Body       string            `json:"body"`
		Headers    map[string]string `json:"headers"`
	} `json:"messages"`
}

func TestQueueSendBrowsePurgeDelete(t *testing.T) {
	e := startDefault(t)
	c := e.admin()
	c.mustJSON(http.StatusCreated, "POST", "/api/v1/queues", map[string]string{"name": "orders.eu"}, nil)
	var sent struct {
		Sent        int    `json:"sent"`
		Destination string `json:"destination"`
	}
	c.mustJSON(http.StatusOK, "POST", "/api/v1/send", map[string]any{
		"destination": "queue://orders.eu", "body": `{"order":1}`, "headers": map[string]string{"region": "eu"},
		"persistent": true, "priority": 7, "ttlMillis": 60000, "correlationId": "c-1", "replyTo": "queue://replies", "count": 3,
	}, &sent)
	if sent.Sent != 3 || sent.Destination != "queue://orders.eu" {
		t.Fatalf("send answered %+v", sent)
	}
	var q queueJSON
	c.mustJSON(http.StatusOK, "GET", "/api/v1/queues/orders.eu", nil, &q)
	if q.Destination != "queue://orders.eu" || q.Pending != 3 || q.Enqueued != 3 {
		t.Fatalf("queue = %+v", q)
	}
	var list struct{ Queues []queueJSON }
	c.mustJSON(http.StatusOK, "GET", "/api/v1/queues", nil, &list)
	if len(list.Queues) != 1 || list.Queues[0] != q {
		t.Fatalf("queues = %+v", list.Queues)
	}

	var b browsed
	c.mustJSON(http.StatusOK, "GET", "/api/v1/queues/orders.eu/messages", nil, &b)
	if len(b.Messages) != 3 {
		t.Fatalf("browsed %d messages", len(b.Messages))
	}
	m := b.Messages[0]
	if m.Body != `{"order":1}` || m.Headers["region"] != "eu" || m.Priority != 7 || !m.Persistent || m.Size != 11 ||
		m.Expires <= time.Now().UnixMilli() || m.ID == "" || m.ID == b.Messages[1].ID {
		t.Errorf("message = %+v", m)
	}
	c.mustJSON(http.StatusOK, "GET", "/api/v1/queues/orders.eu/messages?limit=2", nil, &b)
	if len(b.Messages) != 2 {
		t.Errorf("limit=2 browsed %d", len(b.Messages))
	}
	// Browsing does not consume.
	c.mustJSON(http.StatusOK, "GET", "/api/v1/queues/orders.eu", nil, &q)
	if q.Pending != 3 {
		t.Fatalf("after browsing: %+v", q)
	}

	var purged struct{ Purged int }
	c.mustJSON(http.StatusOK, "POST", "/api/v1/queues/orders.eu/purge", nil, &purged)
	if purged.Purged != 3 {
		t.Errorf("purged %d", purged.Purged)
	}
	c.mustJSON(http.StatusOK, "GET", "/api/v1/queues/orders.eu/messages", nil, &b)
	c.mustJSON(http.StatusOK, "GET", "/api/v1/queues/orders.eu", nil, &q)
	if len(b.Messages) != 0 || q.Pending != 0 {
		t.Fatalf("after purge: %d browsed, %+v", len(b.Messages), q)
	}

	c.mustJSON(http.StatusOK, "DELETE", "/api/v1/queues/orders.eu", nil, nil)
	c.mustJSON(http.StatusNotFound, "GET", "/api/v1/queues/orders.eu", nil, nil)
	c.mustJSON(http.StatusNotFound, "DELETE", "/api/v1/queues/orders.eu", nil, nil)
	c.mustJSON(http.StatusNotFound, "POST", "/api/v1/queues/orders.eu/purge", nil, nil)
	c.mustJSON(http.StatusNotFound, "GET", "/api/v1/queues/orders.eu/messages", nil, nil)
}

func TestBadInput(t *testing.T) {
	e := startDefault(t)
	c := e.admin()
	c.mustJSON(http.StatusCreated, "POST", "/api/v1/queues", map[string]string{"name": "q"}, nil)
	esc := url.PathEscape
	for _, tc := range []struct {
		method, path string
		body         any
		status       int
	}{
		{"POST", "/api/v1/queues", []byte(`{"name":`), 400},
		{"POST", "/api/v1/queues", []byte(`["q"]`), 400},
		{"POST", "/api/v1/queues", map[string]string{}, 400},
		{"POST", "/api/v1/queues", map[string]string{"name": "a.*.b"}, 400},
		{"POST", "/api/v1/queues", map[string]string{"name": "a.>"}, 400},
		{"POST", "/api/v1/queues", map[string]string{"name": ">"}, 400},
		{"POST", "/api/v1/queues", map[string]string{"name": "a,b"}, 400},
		{"POST", "/api/v1/queues", map[string]string{"name": "a..b"}, 400},
		{"POST", "/api/v1/queues", map[string]string{"name": ".a"}, 400},
		{"POST", "/api/v1/queues", map[string]string{"name": "a\nb"}, 400},
		{"GET", "/api/v1/queues/" + esc("a.*"), nil, 400},
		{"GET", "/api/v1/queues/" + esc("a.>") + "/messages", nil, 400},
		{"POST", "/api/v1/queues/" + esc("*") + "/purge", nil, 400},
		{"DELETE", "/api/v1/queues/" + esc("a,b"), nil, 400},
		{"GET", "/api/v1/queues/nope", nil, 404},
		{"GET", "/api/v1/queues/q/messages?limit=0", nil, 400},
		{"GET", "/api/v1/queues/q/messages?limit=-1", nil, 400},
		{"GET", "/api/v1/queues/q/messages?limit=10001", nil, 400},
		{"GET", "/api/v1/queues/q/messages?limit=ten", nil, 400},
		{"GET", "/api/v1/queues/q/messages?limit=10000", nil, 200},
		{"POST", "/api/v1/send", []byte(`{"destination":`), 400},
		{"POST", "/api/v1/send", []byte(`{"destination":"queue://q","count":"many"}`), 400},
		{"POST", "/api/v1/send", map[string]any{"body": "x"}, 400},
		{"POST", "/api/v1/send", map[string]any{"destination": "queue://", "body": "x"}, 400},
		{"POST", "/api/v1/send", map[string]any{"destination": "topic://devices.*.state", "body": "x"}, 400},
		{"POST", "/api/v1/send", map[string]any{"destination": "topic://devices.>", "body": "x"}, 400},
		{"POST", "/api/v1/send", map[string]any{"destination": "queue://a,b", "body": "x"}, 400},
		{"POST", "/api/v1/send", map[string]any{"destination": "temp-queue://x", "body": "x"}, 400},
		{"POST", "/api/v1/send", map[string]any{"destination": "queue://q", "priority": 10}, 400},
		{"POST", "/api/v1/send", map[string]any{"destination": "queue://q", "priority": -1}, 400},
		{"POST", "/api/v1/send", map[string]any{"destination": "queue://q", "count": 100001}, 400},
		{"POST", "/api/v1/connections/abc/close", nil, 400},
		{"POST", "/api/v1/connections/424242/close", nil, 404},
		{"GET", "/api/v1/config/revisions/abc", nil, 400},
		{"GET", "/api/v1/config/revisions/99", nil, 404},
		{"POST", "/api/v1/config/revisions/abc/rollback", nil, 400},
		{"POST", "/api/v1/config/revisions/99/rollback", nil, 404},
		{"POST", "/api/v1/config/apply", []byte(`{"xml":`), 400},
		{"POST", "/api/v1/config/validate", []byte(`{"xml":`), 400},
		{"POST", "/api/v1/config/diff", []byte(`{"xml":`), 400},
		{"GET", "/api/v1/nothing", nil, 404},
		{"PUT", "/api/v1/queues", nil, 405},
	} {
		r := c.do(tc.method, tc.path, tc.body)
		if r.status != tc.status {
			t.Errorf("%s %s %v: status %d, want %d: %s", tc.method, tc.path, tc.body, r.status, tc.status, r.body)
			continue
		}
		if tc.status >= 400 && tc.status != 405 && !strings.HasPrefix(tc.path, "/api/v1/nothing") && r.errorText(t) == "" {
			t.Errorf("%s %s: no error text: %s", tc.method, tc.path, r.body)
		}
	}
	// None of them created anything.
	var list struct{ Queues []queueJSON }
	c.mustJSON(http.StatusOK, "GET", "/api/v1/queues", nil, &list)
	if len(list.Queues) != 1 || list.Queues[0].Pending != 0 {
		t.Errorf("queues after bad input: %+v", list.Queues)
	}
}

func TestTopicsAndMQTT(t *testing.T) {
	e := startDefault(t)
	c := e.admin()
	sub := dialMQTT(t, e.srv.Addr("mqtt").String(), "lock-42")
	sub.subscribe(t, "devices/+/state", 1)
	c.mustJSON(http.StatusOK, "POST", "/api/v1/send", map[string]any{"destination": "topic://devices.42.state", "body": `{"battery":83.4}`}, nil)
	if got := sub.next(t); got.Topic != "devices/42/state" || string(got.Payload) != `{"battery":83.4}` {
		t.Fatalf("MQTT subscriber got %s %q", got.Topic, got.Payload)
	}
	var topics struct {
		Topics []struct {
			Name        string `json:"name"`
			Subscribers int    `json:"subscribers"`
			Enqueued    int    `json:"enqueued"`
			Dequeued    int    `json:"dequeued"`
		} `json:"topics"`
	}
	c.mustJSON(http.StatusOK, "GET", "/api/v1/topics", nil, &topics)
	if len(topics.Topics) != 1 || topics.Topics[0].Name != "devices.42.state" || topics.Topics[0].Subscribers != 1 ||
		topics.Topics[0].Enqueued != 1 || topics.Topics[0].Dequeued != 1 {
		t.Fatalf("topics = %+v", topics.Topics)
	}

	var subs struct {
		TopicSubscribers []struct {
			Destination  string `json:"destination"`
			Filter       string `json:"filter"`
			ClientID     string `json:"clientId"`
			ConnectionID uint64 `json:"connectionId"`
			QoS          int    `json:"qos"`
			Delivered    int    `json:"delivered"`
		} `json:"topicSubscribers"`
		QueueConsumers []any `json:"queueConsumers"`
	}
	c.mustJSON(http.StatusOK, "GET", "/api/v1/subscribers", nil, &subs)
	if len(subs.TopicSubscribers) != 1 {
		t.Fatalf("subscribers = %+v", subs)
	}
	s := subs.TopicSubscribers[0]
	if s.Destination != "topic://devices.*.state" || s.Filter != "devices/+/state" || s.ClientID != "lock-42" || s.QoS != 1 || s.Delivered != 1 {
		t.Errorf("subscriber = %+v", s)
	}

	var conns struct {
		Connections []struct {
			ID        uint64 `json:"id"`
			Protocol  string `json:"protocol"`
			Connector string `json:"connector"`
			ClientID  string `json:"clientId"`
			User      string `json:"user"`
			Remote    string `json:"remote"`
		} `json:"connections"`
		Connectors []struct{ Name string } `json:"connectors"`
	}
	c.mustJSON(http.StatusOK, "GET", "/api/v1/connections", nil, &conns)
	if len(conns.Connections) != 1 || len(conns.Connectors) != 2 {
		t.Fatalf("connections = %+v", conns)
	}
	cn := conns.Connections[0]
	if cn.ID != s.ConnectionID || cn.Protocol != "mqtt" || cn.Connector != "mqtt" || cn.ClientID != "lock-42" ||
		cn.User != appUser || cn.Remote != sub.c.LocalAddr().String() {
		t.Errorf("connection = %+v (local %s)", cn, sub.c.LocalAddr())
	}

	c.mustJSON(http.StatusOK, "POST", fmt.Sprintf("/api/v1/connections/%d/close", cn.ID), nil, nil)
	select {
	case <-sub.closed:
	case <-time.After(5 * time.Second):
		t.Fatal("the client's connection stayed open")
	}
	servertest.WaitFor(t, 5*time.Second, "the connection to leave the list", func() bool {
		c.mustJSON(http.StatusOK, "GET", "/api/v1/connections", nil, &conns)
		return len(conns.Connections) == 0
	})
	c.mustJSON(http.StatusNotFound, "POST", fmt.Sprintf("/api/v1/connections/%d/close", cn.ID), nil, nil)
}

func TestJolokia(t *testing.T) {
	e := startDefault(t)
	c := e.admin()
	c.mustJSON(http.StatusCreated, "POST", "/api/v1/queues", map[string]string{"name": "orders"}, nil)
	type answer struct {
		Request   map[string]string `json:"request"`
		Value     any               `json:"value"`
		Status    int               `json:"status"`
		Timestamp int64             `json:"timestamp"`
		ErrorType string            `json:"error_type"`
		Error     string            `json:"error"`
	}
	const mbean = "org.apache.activemq:type=Broker,brokerName=admintest"
	var a answer
	c.mustJSON(http.StatusOK, "GET", "/api/jolokia/read/"+mbean, nil, &a)
	v, _ := a.Value.(map[string]any)
	if a.Status != 200 || a.Request["mbean"] != mbean || a.Request["type"] != "read" || a.Timestamp == 0 || v == nil {
		t.Fatalf("read broker MBean: %+v", a)
	}
	for _, attr := range []string{"BrokerName", "BrokerId", "BrokerVersion", "Uptime", "UptimeMillis", "TotalConsumerCount",
		"TotalProducerCount", "TotalEnqueueCount", "TotalDequeueCount", "TotalMessageCount", "TotalConnectionsCount",
		"CurrentConnectionsCount", "MemoryPercentUsage", "MemoryLimit", "StorePercentUsage", "TempPercentUsage", "Queues", "Topics"} {
		if _, ok := v[attr]; !ok {
			t.Errorf("attribute %s missing", attr)
		}
	}
	if v["BrokerName"] != "admintest" {
		t.Errorf("BrokerName = %v", v["BrokerName"])
	}
	qs, _ := v["Queues"].([]any)
	if len(qs) != 1 || !strings.Contains(fmt.Sprint(qs[0]), "destinationType=Queue,destinationName=orders") {
		t.Errorf("Queues = %v", v["Queues"])
	}

	c.mustJSON(http.StatusOK, "GET", "/api/jolokia/read/"+mbean+"/BrokerName", nil, &a)
	if a.Status != 200 || a.Value != "admintest" || a.Request["attribute"] != "BrokerName" {
		t.Errorf("read one attribute: %+v", a)
	}
	c.mustJSON(http.StatusOK, "GET", "/api/jolokia/read/org.apache.activemq:type=Broker,brokerName=*/BrokerName", nil, &a)
	if a.Status != 200 || a.Value != "admintest" {
		t.Errorf("brokerName=*: %+v", a)
	}

	for _, tc := range []struct{ path, errType string }{
		{mbean + "/NoSuchAttribute", "javax.management.AttributeNotFoundException"},
		{"org.apache.activemq:type=Broker,brokerName=other", "javax.management.InstanceNotFoundException"},
		{"org.apache.activemq:type=Broker,brokerName=admintest,destinationType=Queue,destinationName=orders", "javax.management.InstanceNotFoundException"},
		{"java.lang:type=Memory", "javax.management.InstanceNotFoundException"},
		{"garbage", "javax.management.InstanceNotFoundException"},
	} {
		a = answer{}
		c.mustJSON(http.StatusOK, "GET", "/api/jolokia/read/"+tc.path, nil, &a)
		if a.Status != 404 || a.ErrorType != tc.errType || a.Error == "" {
			t.Errorf("read %s: %+v", tc.path, a)
		}
	}
}

func TestMetrics(t *testing.T) {
	e := startDefault(t)
	c := e.admin()
	c.mustJSON(http.StatusCreated, "POST", "/api/v1/queues", map[string]string{"name": "orders"}, nil)
	c.mustJSON(http.StatusOK, "POST", "/api/v1/send", map[string]any{"destination": "queue://orders", "body": "x", "count": 2}, nil)
	// Metrics are open, for Prometheus.
	r := e.anonymous().do("GET", "/metrics", nil)
	if r.status != http.StatusOK {
		t.Fatalf("metrics: %d", r.status)
	}
	text := string(r.body)
	for _, want := range []string{
		"hashi_messages_published_total 2",
		"hashi_messages_delivered_total",
		"hashi_messages_dropped_total",
		"hashi_denied_total",
		`hashi_connections{protocol="mqtt"} 0`,
		`hashi_queue_messages{queue="orders"} 2`,
		`hashi_queue_consumers{queue="orders"} 0`,
		`hashi_queue_enqueued_total{queue="orders"} 2`,
		`hashi_queue_dequeued_total{queue="orders"} 0`,
		"go_goroutines",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
}

func TestHealth(t *testing.T) {
	e := startDefault(t)
	anon := e.anonymous()
	if r := anon.do("GET", "/healthz", nil); r.status != http.StatusOK || string(r.body) != "ok\n" {
		t.Errorf("healthz: %d %q", r.status, r.body)
	}
	if r := anon.do("GET", "/readyz", nil); r.status != http.StatusOK || string(r.body) != "ready\n" {
		t.Errorf("readyz after start: %d %q", r.status, r.body)
	}
}

// mqttSub is a raw MQTT 3.1.1 subscriber on Hashi's codec.
type mqttSub struct {
	c      net.Conn
	w      *bufio.Writer
	msgs   chan *packet.Publish
	acks   chan packet.Packet
	closed chan struct{}
}

func dialMQTT(t *testing.T, addr, id string) *mqttSub {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	s := &mqttSub{c: nc, w: bufio.NewWriter(nc), msgs: make(chan *packet.Publish, 16), acks: make(chan packet.Packet, 4), closed: make(chan struct{})}
	s.send(t, &packet.Connect{ClientID: id, CleanStart: true, KeepAlive: 60,
		UsernameFlag: true, Username: appUser, PasswordFlag: true, Password: []byte(appPass)})
	r := packet.NewReader(nc, 64<<10)
	r.SetVersion(packet.V311)
	nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	p, err := r.Read()
	if ack, ok := p.(*packet.Connack); err != nil || !ok || ack.ReasonCode != 0 {
		t.Fatalf("CONNACK: %v %v", p, err)
	}
	nc.SetReadDeadline(time.Time{})
	go func() {
		defer close(s.closed)
		for {
			p, err := r.Read()
			if err != nil {
				return
			}
			switch p := p.(type) {
			case *packet.Publish:
				s.msgs <- p
			default:
				s.acks <- p
			}
		}
	}()
	return s
}

func (s *mqttSub) send(t *testing.T, p packet.Packet) {
	t.Helper()
	b, err := packet.Append(nil, p, packet.V311)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.c.Write(b); err != nil {
		t.Fatal(err)
	}
}

func (s *mqttSub) subscribe(t *testing.T, filter string, qos byte) {
	t.Helper()
	s.send(t, &packet.Subscribe{PacketID: 1, Subscriptions: []packet.Subscription{{Filter: filter, QoS: qos}}})
	select {
	case p := <-s.acks:
		if _, ok := p.(*packet.Suback); !ok {
			t.Fatalf("got %T, want SUBACK", p)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no SUBACK")
	}
}

func (s *mqttSub) next(t *testing.T) *packet.Publish {
	t.Helper()
	select {
	case p := <-s.msgs:
		if p.QoS > 0 {
			s.send(t, &packet.Ack{PacketType: packet.TypePuback, PacketID: p.PacketID})
		}
		return p
	case <-time.After(5 * time.Second):
		t.Fatal("no message")
		return nil
	}
}
