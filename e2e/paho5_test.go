package e2e

import (
	"context"
	"fmt"
	"net"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/eclipse/paho.golang/paho"
)

// MQTT 5 against the hashi binary with Eclipse paho.golang.

// client5 is a connected paho.golang client that records what it receives.
type client5 struct {
	*paho.Client
	t    testing.TB
	ack  *paho.Connack
	mu   sync.Mutex
	msgs []*paho.Publish
}

func ctx10(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// dial5 connects with cp and returns the client and the CONNACK, or the
// CONNECT error.
func dial5(t testing.TB, b *proc, cp *paho.Connect) (*client5, error) {
	t.Helper()
	nc, err := net.DialTimeout("tcp", "127.0.0.1:"+b.port("mqtt"), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	c := &client5{t: t}
	c.Client = paho.NewClient(paho.ClientConfig{
		Conn: nc,
		OnPublishReceived: []func(paho.PublishReceived) (bool, error){func(pr paho.PublishReceived) (bool, error) {
			c.mu.Lock()
			c.msgs = append(c.msgs, pr.Packet)
			c.mu.Unlock()
			return true, nil
		}},
	})
	if cp.KeepAlive == 0 {
		cp.KeepAlive = 30
	}
	c.ack, err = c.Connect(ctx10(t), cp)
	if err != nil {
		nc.Close()
		return c, err
	}
	t.Cleanup(func() { c.Disconnect(&paho.Disconnect{}) })
	return c, nil
}

// connect5 connects a clean-start client and fails unless accepted.
func connect5(t testing.TB, b *proc, id string) *client5 {
	t.Helper()
	c, err := dial5(t, b, &paho.Connect{ClientID: id, CleanStart: true})
	if err != nil {
		t.Fatalf("connect %s: %v", id, err)
	}
	return c
}

func (c *client5) received() []*paho.Publish {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.msgs)
}

func (c *client5) payloads() []string {
	var out []string
	for _, p := range c.received() {
		out = append(out, string(p.Payload))
	}
	return out
}

// wait waits for n messages.
func (c *client5) wait(n int) []*paho.Publish {
	c.t.Helper()
	waitFor(c.t, 10*time.Second, fmt.Sprintf("%d messages (have %q)", n, c.payloads()), func() bool { return len(c.received()) >= n })
	return c.received()
}

func (c *client5) sub(opts ...paho.SubscribeOptions) *paho.Suback {
	c.t.Helper()
	sa, err := c.Subscribe(ctx10(c.t), &paho.Subscribe{Subscriptions: opts})
	if err != nil {
		c.t.Fatalf("subscribe %v: %v", opts, err)
	}
	return sa
}

func (c *client5) pub(p *paho.Publish) *paho.PublishResponse {
	c.t.Helper()
	pr, err := c.Publish(ctx10(c.t), p)
	if err != nil {
		c.t.Fatalf("publish %s: %v", p.Topic, err)
	}
	return pr
}

func ptr[T any](v T) *T { return &v }

func TestPaho5Properties(t *testing.T) {
	t.Parallel()
	b := startBroker(t, brokerXML("", mqttConnectorXML))
	sub := connect5(t, b, "sub")
	sub.sub(paho.SubscribeOptions{Topic: "props/#", QoS: 1})
	pub := connect5(t, b, "pub")

	props := &paho.PublishProperties{ContentType: "application/json", MessageExpiry: ptr[uint32](60), PayloadFormat: ptr[byte](1)}
	props.User.Add("region", "eu-west-1").Add("trace", "abc").Add("region", "again") // order and repeats kept
	pub.pub(&paho.Publish{Topic: "props/a", QoS: 1, Payload: []byte(`{"x":1}`), Properties: props})
	got := sub.wait(1)[0]
	p := got.Properties
	if p == nil {
		t.Fatal("no properties delivered")
	}
	if p.ContentType != "application/json" {
		t.Errorf("content type %q", p.ContentType)
	}
	if !slices.Equal(p.User, props.User) {
		t.Errorf("user properties %v, want %v", p.User, props.User)
	}
	if p.PayloadFormat == nil || *p.PayloadFormat != 1 {
		t.Errorf("payload format %v", p.PayloadFormat)
	}
	// The remaining lifetime, not more than what was asked [MQTT-3.3.2-6].
	if p.MessageExpiry == nil || *p.MessageExpiry > 60 || *p.MessageExpiry < 55 {
		t.Errorf("message expiry %v, want 55..60", p.MessageExpiry)
	}
}

// Request/response: the responder answers on the Response Topic with the
// request's Correlation Data (§4.10).
func TestPaho5RequestResponse(t *testing.T) {
	t.Parallel()
	b := startBroker(t, brokerXML("", mqttConnectorXML))
	responder := connect5(t, b, "responder")
	responder.AddOnPublishReceived(func(pr paho.PublishReceived) (bool, error) {
		req := pr.Packet
		if req.Properties == nil || req.Properties.ResponseTopic == "" {
			return false, nil
		}
		go pr.Client.Publish(context.Background(), &paho.Publish{
			Topic: req.Properties.ResponseTopic, QoS: 1, Payload: append([]byte("re: "), req.Payload...),
			Properties: &paho.PublishProperties{CorrelationData: req.Properties.CorrelationData},
		})
		return true, nil
	})
	responder.sub(paho.SubscribeOptions{Topic: "svc/lock/unlock", QoS: 1})

	requester := connect5(t, b, "requester")
	requester.sub(paho.SubscribeOptions{Topic: "replies/requester", QoS: 1})
	for i := range 3 {
		requester.pub(&paho.Publish{Topic: "svc/lock/unlock", QoS: 1, Payload: []byte(fmt.Sprint("door", i)),
			Properties: &paho.PublishProperties{ResponseTopic: "replies/requester", CorrelationData: []byte(fmt.Sprint("corr-", i))}})
	}
	// Replies may come in any order (the responder answers concurrently):
	// the correlation data pairs them with their requests.
	byCorr := map[string]string{}
	for _, r := range requester.wait(3) {
		if r.Properties == nil {
			t.Fatalf("reply %q without properties", r.Payload)
		}
		byCorr[string(r.Properties.CorrelationData)] = string(r.Payload)
	}
	for i := range 3 {
		if got := byCorr[fmt.Sprint("corr-", i)]; got != fmt.Sprint("re: door", i) {
			t.Errorf("reply for corr-%d: %q (all: %v)", i, got, byCorr)
		}
	}
}

// A message that expires while its subscriber's session is offline is not
// delivered [MQTT-3.3.2-5].
func TestPaho5MessageExpiry(t *testing.T) {
	t.Parallel()
	b := startBroker(t, brokerXML("", mqttConnectorXML))
	persistent := &paho.Connect{ClientID: "offline", Properties: &paho.ConnectProperties{SessionExpiryInterval: ptr[uint32](60)}}
	c, err := dial5(t, b, persistent)
	if err != nil {
		t.Fatal(err)
	}
	c.sub(paho.SubscribeOptions{Topic: "exp/#", QoS: 1})
	c.Disconnect(&paho.Disconnect{})
	pub := connect5(t, b, "pub")
	pub.pub(&paho.Publish{Topic: "exp/short", QoS: 1, Payload: []byte("short"), Properties: &paho.PublishProperties{MessageExpiry: ptr[uint32](1)}})
	pub.pub(&paho.Publish{Topic: "exp/long", QoS: 1, Payload: []byte("long"), Properties: &paho.PublishProperties{MessageExpiry: ptr[uint32](600)}})
	time.Sleep(1100 * time.Millisecond) // the expiry itself is under test
	c, err = dial5(t, b, persistent)
	if err != nil {
		t.Fatal(err)
	}
	if !c.ack.SessionPresent {
		t.Fatal("session not present")
	}
	pub.pub(&paho.Publish{Topic: "exp/end", QoS: 1, Payload: []byte("end")})
	c.wait(2)
	if got := c.payloads(); !slices.Equal(got, []string{"long", "end"}) {
		t.Fatalf("got %q, want the expired message skipped", got)
	}
}

func TestPaho5SubscriptionIdentifiersAndNoLocal(t *testing.T) {
	t.Parallel()
	b := startBroker(t, brokerXML("", mqttConnectorXML))
	c := connect5(t, b, "me")
	if _, err := c.Subscribe(ctx10(t), &paho.Subscribe{Properties: &paho.SubscribeProperties{SubscriptionIdentifier: ptr(42)},
		Subscriptions: []paho.SubscribeOptions{{Topic: "chat/#", QoS: 1, NoLocal: true}}}); err != nil {
		t.Fatal(err)
	}
	other := connect5(t, b, "other")
	c.pub(&paho.Publish{Topic: "chat/room", QoS: 1, Payload: []byte("mine")})
	other.pub(&paho.Publish{Topic: "chat/room", QoS: 1, Payload: []byte("theirs")})
	got := c.wait(1)
	if string(got[0].Payload) != "theirs" {
		t.Fatalf("got %q first, want only the other client's message (no local)", got[0].Payload)
	}
	if p := got[0].Properties; p == nil || p.SubscriptionIdentifier == nil || *p.SubscriptionIdentifier != 42 {
		t.Errorf("subscription identifier %v, want 42", p)
	}
	other.pub(&paho.Publish{Topic: "chat/room", QoS: 1, Payload: []byte("sentinel")})
	if got := c.wait(2); len(got) != 2 || string(got[1].Payload) != "sentinel" {
		t.Fatalf("no-local subscriber got %q", c.payloads())
	}
}

func TestPaho5SharedSubscription(t *testing.T) {
	t.Parallel()
	b := startBroker(t, brokerXML("", mqttConnectorXML))
	w1, w2 := connect5(t, b, "w1"), connect5(t, b, "w2")
	w1.sub(paho.SubscribeOptions{Topic: "$share/workers/jobs/+", QoS: 1})
	w2.sub(paho.SubscribeOptions{Topic: "$share/workers/jobs/+", QoS: 1})
	pub := connect5(t, b, "pub")
	const n = 20
	for i := range n {
		pub.pub(&paho.Publish{Topic: "jobs/build", QoS: 1, Payload: []byte(fmt.Sprint(i))})
	}
	waitFor(t, 10*time.Second, "all jobs", func() bool { return len(w1.received())+len(w2.received()) >= n })
	a, c := w1.payloads(), w2.payloads()
	if len(a) != n/2 || len(c) != n/2 {
		t.Errorf("split %d/%d, want %d each (round robin)", len(a), len(c), n/2)
	}
	all := append(a, c...)
	slices.Sort(all)
	if len(slices.Compact(all)) != n {
		t.Errorf("jobs delivered more than once: %q / %q", a, c)
	}
}

func TestPaho5TopicAlias(t *testing.T) {
	t.Parallel()
	b := startBroker(t, brokerXML("", mqttConnectorXML))
	sub := connect5(t, b, "sub")
	sub.sub(paho.SubscribeOptions{Topic: "telemetry/#", QoS: 1})
	pub := connect5(t, b, "pub")
	if max := pub.ack.Properties.TopicAliasMaximum; max == nil || *max == 0 {
		t.Fatalf("CONNACK Topic Alias Maximum %v", max)
	}
	pub.pub(&paho.Publish{Topic: "telemetry/engine/temperature", QoS: 1, Payload: []byte("1"), Properties: &paho.PublishProperties{TopicAlias: ptr[uint16](1)}})
	pub.pub(&paho.Publish{QoS: 1, Payload: []byte("2"), Properties: &paho.PublishProperties{TopicAlias: ptr[uint16](1)}})
	pub.pub(&paho.Publish{QoS: 0, Payload: []byte("3"), Properties: &paho.PublishProperties{TopicAlias: ptr[uint16](1)}})
	for i, m := range sub.wait(3) {
		if m.Topic != "telemetry/engine/temperature" || string(m.Payload) != fmt.Sprint(i+1) {
			t.Errorf("message %d: %s %q", i, m.Topic, m.Payload)
		}
	}
}

func TestPaho5Connack(t *testing.T) {
	t.Parallel()
	b := startBroker(t, brokerXML("", mqttConnectorXML))
	c, err := dial5(t, b, &paho.Connect{CleanStart: true})
	if err != nil {
		t.Fatal(err)
	}
	p := c.ack.Properties
	if p == nil || p.ReceiveMaximum == nil || *p.ReceiveMaximum == 0 || p.TopicAliasMaximum == nil || *p.TopicAliasMaximum == 0 {
		t.Fatalf("CONNACK properties %+v: want Receive Maximum and Topic Alias Maximum", p)
	}
	if p.AssignedClientID == "" {
		t.Fatal("no Assigned Client Identifier for an empty client id [MQTT-3.2.2-16]")
	}
	// The assigned id is the session's: a subscription works under it.
	c.sub(paho.SubscribeOptions{Topic: "mine", QoS: 1})
	c.pub(&paho.Publish{Topic: "mine", QoS: 1, Payload: []byte("x")})
	c.wait(1)
	found := false
	for _, l := range b.find("client connected") {
		found = found || l["client"] == p.AssignedClientID
	}
	if !found {
		t.Errorf("assigned id %q not in the connection log", p.AssignedClientID)
	}
	// PUBACK 0x10: nobody subscribes to this topic.
	if pr := c.pub(&paho.Publish{Topic: "nobody/listens", QoS: 1, Payload: []byte("x")}); pr.ReasonCode != 0x10 {
		t.Errorf("PUBACK %#x, want 0x10 no matching subscribers", pr.ReasonCode)
	}
}

// Denials in MQTT 5 carry reason code 0x87: PUBACK for a publish, SUBACK for
// a subscription, CONNACK for bad credentials.
func TestPaho5NotAuthorized(t *testing.T) {
	t.Parallel()
	b := startBroker(t, brokerXML("", threeRoles))
	login := func(id, user, pw string) (*client5, error) {
		return dial5(t, b, &paho.Connect{ClientID: id, CleanStart: true, UsernameFlag: true, Username: user, PasswordFlag: true, Password: []byte(pw)})
	}
	if c, err := login("intruder", "subscriber", "nope"); err == nil || c.ack == nil || c.ack.ReasonCode != 0x86 && c.ack.ReasonCode != 0x87 {
		t.Errorf("wrong password: err %v connack %+v, want 0x86/0x87", err, c.ack)
	}
	sub, err := login("sub5", "subscriber", "sub-secret")
	if err != nil {
		t.Fatal(err)
	}
	pub, err := login("pub5", "publisher", "pub-secret")
	if err != nil {
		t.Fatal(err)
	}
	sub.sub(paho.SubscribeOptions{Topic: "orders/#", QoS: 1})

	sa, err := pub.Subscribe(ctx10(t), &paho.Subscribe{Subscriptions: []paho.SubscribeOptions{{Topic: "orders/#", QoS: 1}}})
	if sa == nil || len(sa.Reasons) != 1 || sa.Reasons[0] != 0x87 {
		t.Errorf("publisher SUBACK %+v (%v), want 0x87", sa, err)
	}
	pr, err := sub.Publish(ctx10(t), &paho.Publish{Topic: "orders/1", QoS: 1, Payload: []byte("forged")})
	if pr == nil || pr.ReasonCode != 0x87 {
		t.Errorf("subscriber PUBACK %+v (%v), want 0x87", pr, err)
	}
	pub.pub(&paho.Publish{Topic: "orders/1", QoS: 1, Payload: []byte("real")})
	if got := sub.wait(1); len(got) != 1 || string(got[0].Payload) != "real" {
		t.Fatalf("subscriber got %q", sub.payloads())
	}
}
