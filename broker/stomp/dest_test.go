package stomp_test

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-stomp/stomp/v3/frame"

	"github.com/hashi-broker/hashi/broker/dest"
	"github.com/hashi-broker/hashi/broker/server/servertest"
)

// Request/reply over a temporary queue: the requester names /temp-queue/r in
// reply-to, the responder sees /remote-temp-queue/ID:... and replies to it,
// and the queue goes away with the requester's connection.
func TestTempQueueRequestReply(t *testing.T) {
	b := startBroker(t, "", "")
	resp := b.connect(t)
	resp.receipt(frame.SUBSCRIBE, nil, frame.Destination, "/queue/requests", frame.Id, "req")
	req := b.connect(t)
	req.receipt(frame.SUBSCRIBE, nil, frame.Destination, "/temp-queue/r", frame.Id, "replies")
	req.receipt(frame.SEND, []byte("ping"), frame.Destination, "/queue/requests",
		"reply-to", "/temp-queue/r", "correlation-id", "c-1")

	m := resp.expect(frame.MESSAGE)
	replyTo := m.Header.Get("reply-to")
	if !strings.HasPrefix(replyTo, "/remote-temp-queue/ID:") || m.Header.Get("correlation-id") != "c-1" {
		t.Fatalf("request headers %v", headers(m))
	}
	resp.receipt(frame.SEND, []byte("pong"), frame.Destination, replyTo, "correlation-id", "c-1")
	r := req.expect(frame.MESSAGE)
	if string(r.Body) != "pong" || r.Header.Get(frame.Destination) != "/temp-queue/r" ||
		r.Header.Get("correlation-id") != "c-1" || r.Header.Get(frame.Subscription) != "replies" {
		t.Fatalf("reply %q %v", r.Body, headers(r))
	}

	// Only the owner may consume from it.
	resp.send(frame.SUBSCRIBE, frame.Destination, replyTo, frame.Id, "steal", frame.Receipt, "steal")
	resp.expectError("temporary destination of another connection")

	// Another connection's /temp-queue/r is a different queue.
	other := b.connect(t)
	other.receipt(frame.SUBSCRIBE, nil, frame.Destination, "/temp-queue/r", frame.Id, "x")
	resp.receipt(frame.SEND, []byte("pong2"), frame.Destination, replyTo)
	if r := req.expect(frame.MESSAGE); string(r.Body) != "pong2" {
		t.Fatalf("got %q", r.Body)
	}
	other.quiet("another connection's temp queue")

	name := strings.TrimPrefix(replyTo, "/remote-temp-queue/")
	req.send(frame.DISCONNECT, frame.Receipt, "bye")
	req.expect(frame.RECEIPT)
	servertest.WaitFor(t, ioTimeout, "temp queue deleted", func() bool {
		return !b.Srv.Core().QueueExists(dest.Destination{Kind: dest.TempQueue, Name: name})
	})
	resp.send(frame.SEND, frame.Destination, replyTo, frame.Receipt, "late")
	if f := resp.expectError("Temporary destination does not exist"); f.Header.Get(frame.ReceiptId) != "late" {
		t.Fatalf("ERROR %v", headers(f))
	}
}

// A temp topic works the same way for a broadcast reply.
func TestTempTopicReply(t *testing.T) {
	b := startBroker(t, "", "")
	req := b.connect(t)
	req.receipt(frame.SUBSCRIBE, nil, frame.Destination, "/temp-topic/events", frame.Id, "ev")
	req.receipt(frame.SEND, []byte("hi"), frame.Destination, "/queue/svc", "reply-to", "/temp-topic/events")
	svc := b.connect(t)
	svc.receipt(frame.SUBSCRIBE, nil, frame.Destination, "/queue/svc", frame.Id, "svc")
	m := svc.expect(frame.MESSAGE)
	rt := m.Header.Get("reply-to")
	if !strings.HasPrefix(rt, "/remote-temp-topic/ID:") {
		t.Fatalf("reply-to %q", rt)
	}
	svc.receipt(frame.SEND, []byte("event"), frame.Destination, rt)
	if r := req.expect(frame.MESSAGE); string(r.Body) != "event" || r.Header.Get(frame.Destination) != "/temp-topic/events" {
		t.Fatalf("reply %q %v", r.Body, headers(r))
	}
}

// A comma-separated destination is a composite: one SEND reaches each part.
func TestCompositeSend(t *testing.T) {
	b := startBroker(t, "", "")
	c := b.connect(t)
	c.receipt(frame.SUBSCRIBE, nil, frame.Destination, "/queue/a", frame.Id, "q")
	c.receipt(frame.SUBSCRIBE, nil, frame.Destination, "/topic/b", frame.Id, "t")
	p := b.connect(t)
	p.receipt(frame.SEND, []byte("both"), frame.Destination, "/queue/a,/topic/b", "custom", "v")
	got := map[string]string{}
	for _, m := range c.messages(2) {
		if string(m.Body) != "both" || m.Header.Get("custom") != "v" {
			t.Fatalf("composite copy %q %v", m.Body, headers(m))
		}
		got[m.Header.Get(frame.Subscription)] = m.Header.Get(frame.Destination)
	}
	if got["q"] != "/queue/a" || got["t"] != "/topic/b" {
		t.Fatalf("destinations by subscription: %v", got)
	}
	c.quiet("one copy per part")
	// A bad part refuses the whole SEND.
	p.send(frame.SEND, frame.Destination, "/queue/a,bogus", frame.Receipt, "bad")
	p.expectError("Illegal destination name: [bogus]")
	c.quiet("after a refused composite")
}

// One producer switching destinations, and one subscriber receiving from
// several queues in turn: each SEND goes where its own header says and each
// MESSAGE names its own destination (the reader and writer remember the last
// destination; a stale memory would misroute or mislabel).
func TestSwitchingDestinations(t *testing.T) {
	b := startBroker(t, "", "")
	c := b.connect(t)
	for _, q := range []string{"a", "b", "c"} {
		c.receipt(frame.SUBSCRIBE, nil, frame.Destination, "/queue/"+q, frame.Id, q)
	}
	c.receipt(frame.SUBSCRIBE, nil, frame.Destination, "/topic/a", frame.Id, "ta")
	p := b.connect(t)
	order := []string{"/queue/a", "/queue/a", "/queue/b", "/topic/a", "/queue/a", "/queue/c", "/queue/c", "/queue/b"}
	for i, d := range order {
		p.receipt(frame.SEND, []byte(strconv.Itoa(i)), frame.Destination, d)
	}
	for _, m := range c.messages(len(order)) {
		i, err := strconv.Atoi(string(m.Body))
		if err != nil || i >= len(order) {
			t.Fatalf("unexpected body %q", m.Body)
		}
		if got := m.Header.Get(frame.Destination); got != order[i] {
			t.Fatalf("message %d: destination %q, sent to %q", i, got, order[i])
		}
		sub := strings.TrimPrefix(strings.TrimPrefix(order[i], "/queue/"), "/topic/")
		if strings.HasPrefix(order[i], "/topic/") {
			sub = "t" + sub
		}
		if got := m.Header.Get(frame.Subscription); got != sub {
			t.Fatalf("message %d to %s: subscription %q", i, order[i], got)
		}
	}
	c.quiet("one copy each")
}

func TestIllegalDestinations(t *testing.T) {
	b := startBroker(t, "", "")
	c := b.connect(t)
	for _, tc := range []struct{ cmd, dest, msg string }{
		{frame.SEND, "/bogus/x", "Illegal destination name: [/bogus/x] -- ActiveMQ STOMP destinations must begin with one of: /queue/ /topic/ /temp-queue/ /temp-topic/"},
		{frame.SEND, "queue/x", "Illegal destination name: [queue/x]"},
		{frame.SEND, "/queue/", "Illegal destination name: [/queue/]"},
		{frame.SUBSCRIBE, "/exchange/x", "Illegal destination name: [/exchange/x]"},
		{frame.SUBSCRIBE, "/topic/a.>.b", "Illegal destination name: [/topic/a.>.b]"},
		{frame.SEND, "/queue/orders.>", "Cannot send to a wildcard destination"},
		{frame.SEND, "", "SEND without a destination header"},
		{frame.SUBSCRIBE, "", "SUBSCRIBE without a destination header"},
	} {
		hdr := []string{frame.Id, "x", frame.Receipt, "r"}
		if tc.dest != "" {
			hdr = append(hdr, frame.Destination, tc.dest)
		}
		c.send(tc.cmd, hdr...)
		c.expectError(tc.msg)
	}
	c.receipt(frame.SUBSCRIBE, nil, frame.Destination, "/topic/ok", frame.Id, "x")
}

const authzConfig = `<plugins>
  <simpleAuthenticationPlugin anonymousAccessAllowed="false"><users>
    <authenticationUser username="app" password="p" groups="apps"/>
    <authenticationUser username="reader" password="p" groups="readers"/>
    <authenticationUser username="admin" password="p" groups="admins"/>
  </users></simpleAuthenticationPlugin>
  <authorizationPlugin><map><authorizationMap><authorizationEntries>
    <authorizationEntry queue="orders.>" read="apps,readers,admins" write="apps,admins" admin="admins"/>
    <authorizationEntry topic="devices.>" read="apps" write="apps" admin="apps"/>
  </authorizationEntries></authorizationMap></map></authorizationPlugin>
</plugins>
<destinations><queue physicalName="orders.existing"/></destinations>`

// Denied SEND and SUBSCRIBE yield an ERROR in ActiveMQ's words and the
// connection stays open; a missing queue needs the admin right.
func TestAuthorizationDenials(t *testing.T) {
	b := startBroker(t, authzConfig, "")
	reader := b.connect(t, frame.Login, "reader", frame.Passcode, "p")
	app := b.connect(t, frame.Login, "app", frame.Passcode, "p")

	reader.send(frame.SEND, frame.Destination, "/queue/orders.existing", frame.Receipt, "w")
	f := reader.expectError("User reader is not authorized to write to: queue://orders.existing")
	if f.Header.Get(frame.ReceiptId) != "w" {
		t.Fatalf("ERROR %v", headers(f))
	}
	// Without a receipt header the denial is still reported.
	reader.sendBody(frame.SEND, []byte("x"), frame.Destination, "/queue/orders.existing")
	reader.expectError("User reader is not authorized to write to: queue://orders.existing")
	reader.send(frame.SUBSCRIBE, frame.Destination, "/topic/devices.>", frame.Id, "d")
	reader.expectError("User reader is not authorized to read from: topic://devices.>")
	// Still connected, and allowed operations work.
	reader.receipt(frame.SUBSCRIBE, nil, frame.Destination, "/queue/orders.existing", frame.Id, "o")

	// app may write orders.>, but not create a queue that does not exist.
	app.send(frame.SEND, frame.Destination, "/queue/orders.new", frame.Receipt, "c")
	app.expectError("User app is not authorized to create: queue://orders.new")
	if b.Srv.Core().QueueExists(dest.Q("orders.new")) {
		t.Fatal("denied SEND created the queue")
	}
	app.send(frame.SUBSCRIBE, frame.Destination, "/queue/orders.new", frame.Id, "n")
	app.expectError("User app is not authorized to create: queue://orders.new")
	app.send(frame.SEND, frame.Destination, "/queue/elsewhere")
	app.expectError("User app is not authorized to write to: queue://elsewhere")
	app.receipt(frame.SEND, []byte("order-1"), frame.Destination, "/queue/orders.existing")
	if m := reader.expect(frame.MESSAGE); string(m.Body) != "order-1" {
		t.Fatalf("reader got %q", m.Body)
	}
	reader.quiet("the denied sends")

	admin := b.connect(t, frame.Login, "admin", frame.Passcode, "p")
	admin.receipt(frame.SEND, []byte("first"), frame.Destination, "/queue/orders.new")
	app.receipt(frame.SUBSCRIBE, nil, frame.Destination, "/queue/orders.new", frame.Id, "n")
	if m := app.expect(frame.MESSAGE); string(m.Body) != "first" {
		t.Fatalf("app got %q", m.Body)
	}
	servertest.WaitFor(t, ioTimeout, "denials audited", func() bool { return b.LogHas("denied") })
}

// SEND headers map to the message and back to MESSAGE headers; custom
// headers travel as they are; an expired message is not delivered.
func TestMessageHeaderMapping(t *testing.T) {
	b := startBroker(t, "", "")
	c := b.connect(t)
	c.receipt(frame.SUBSCRIBE, nil, frame.Destination, "/queue/hdr", frame.Id, "q")
	c.receipt(frame.SUBSCRIBE, nil, frame.Destination, "/topic/hdr", frame.Id, "t")
	future := strconv.FormatInt(time.Now().Add(time.Hour).UnixMilli(), 10)
	past := strconv.FormatInt(time.Now().Add(-time.Second).UnixMilli(), 10)
	for _, d := range []string{"/queue/hdr", "/topic/hdr"} {
		c.receipt(frame.SEND, []byte("expired"), frame.Destination, d, "expires", past)
		c.receipt(frame.SEND, []byte(`{"a":1}`), frame.Destination, d,
			"persistent", "true", "priority", "7", "expires", future, "reply-to", "/queue/replies",
			"correlation-id", "corr-9", frame.ContentType, "application/json", "x-device", "lock-42",
			"JMSXGroupID", "g1")
		m := c.expect(frame.MESSAGE)
		want := map[string]string{
			frame.Destination: d, "persistent": "true", "priority": "7", "expires": future,
			"reply-to": "/queue/replies", "correlation-id": "corr-9", frame.ContentType: "application/json",
			"x-device": "lock-42", "JMSXGroupID": "g1", frame.ContentLength: "7",
		}
		for k, v := range want {
			if got := m.Header.Get(k); got != v {
				t.Errorf("%s: header %s = %q, want %q (%v)", d, k, got, v, headers(m))
			}
		}
		if !strings.HasPrefix(m.Header.Get(frame.MessageId), "ID:") || m.Header.Get("timestamp") == "" {
			t.Errorf("%s: message-id/timestamp missing: %v", d, headers(m))
		}
		c.quiet("expired message")
	}
	// Of a repeated header the first counts (STOMP 1.2 "Repeated Header
	// Entries"); repeated custom headers all travel.
	c.receipt(frame.SEND, []byte("rep"), frame.Destination, "/queue/hdr", "priority", "2", "priority", "12",
		"persistent", "true", "persistent", "false", "x-tag", "a", "x-tag", "b")
	m := c.expect(frame.MESSAGE)
	if m.Header.Get("priority") != "2" || m.Header.Get("persistent") != "true" || strings.Join(m.Header.GetAll("x-tag"), ",") != "a,b" {
		t.Errorf("repeated headers: %v", headers(m))
	}
	c.send(frame.SEND, frame.Destination, "/queue/hdr", "priority", "12")
	c.expectError("Invalid priority header")
	c.send(frame.SEND, frame.Destination, "/queue/hdr", "expires", "tomorrow")
	c.expectError("Invalid expires header")
}
