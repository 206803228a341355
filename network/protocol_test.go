package network

import (
	"bytes"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/go-stomp/stomp/v3/frame"

	"github.com/hashi-broker/hashi/broker"
	"github.com/hashi-broker/hashi/broker/dest"
	wire "github.com/hashi-broker/hashi/broker/stomp/frame"
)

// roundTrip encodes m as the initiator (SEND) or responder (MESSAGE) would,
// through real wire bytes, and decodes it again.
func roundTrip(t *testing.T, cmd string, m *broker.Message, id string, path []string) *broker.Message {
	t.Helper()
	var self string
	if len(path) > 0 {
		path, self = path[:len(path)-1], path[len(path)-1]
	}
	// id is "ID:<origin>-<seq>": the form a message that entered the
	// network at origin gets.
	origin, seq, _ := strings.Cut(strings.TrimPrefix(id, "ID:"), "-")
	if i := strings.LastIndexByte(id, '-'); i > 0 {
		origin, seq = strings.TrimPrefix(id[:i], "ID:"), id[i+1:]
	}
	m.Seq, _ = strconv.ParseUint(seq, 10, 64)
	raw := appendMessage(wire.Start(nil, cmd, "1.2"), m, origin, path, self)
	r := wire.NewReader(bytes.NewReader(raw), 64*1024)
	r.Version = "1.2"
	back, err := r.Read()
	if err != nil {
		t.Fatalf("reading %q: %v", raw, err)
	}
	got, err := decodeMessage(back)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func TestNetworkMessageRoundTripAllHeaders(t *testing.T) {
	payload := []byte{0, 1, 2, 0xff, '\n', 0, ':', '\\', 'x'}
	m := &broker.Message{
		Dest:       dest.T("devices.lock-7.state"),
		Payload:    payload,
		QoS:        2,
		Retain:     true,
		Persistent: true,
		Priority:   7,
		Timestamp:  1700000000123,
		Expiry:     1700000060123,
		Props: &broker.Props{
			ContentType:     "application/octet-stream",
			ReplyTo:         dest.Destination{Kind: dest.TempQueue, Name: "ID:tokyo-1:1:1"},
			CorrelationData: []byte("corr:1\nline\\two\r"),
			PayloadUTF8:     true,
			User: []broker.KV{
				{Key: "site", Value: "tokyo"},
				{Key: "a:b", Value: "colon:value"},
				{Key: "multi", Value: "1"},
				{Key: "multi", Value: "2"}, // MQTT 5 allows repeated keys
				{Key: "empty", Value: ""},
				{Key: "ünï", Value: "cödé\nnewline"},
			},
		},
	}
	for _, cmd := range []string{frame.SEND, frame.MESSAGE} {
		t.Run(cmd, func(t *testing.T) {
			got := roundTrip(t, cmd, m, "ID:tokyo-abc-42", []string{"frankfurt-1", "tokyo-2"})
			if got.Dest != m.Dest || !bytes.Equal(got.Payload, payload) || got.QoS != 2 || !got.Retain ||
				!got.Persistent || got.Priority != 7 || got.Timestamp != m.Timestamp || got.Expiry != m.Expiry {
				t.Fatalf("fields lost:\n got %+v\nwant %+v", got, m)
			}
			if !reflect.DeepEqual(got.BrokerPath, []string{"frankfurt-1", "tokyo-2"}) {
				t.Fatalf("broker path %v", got.BrokerPath)
			}
			p := got.Props
			if p == nil {
				t.Fatal("no props")
			}
			if p.MessageID != "ID:tokyo-abc-42" || p.ContentType != m.Props.ContentType || p.ReplyTo != m.Props.ReplyTo ||
				!bytes.Equal(p.CorrelationData, m.Props.CorrelationData) || !p.PayloadUTF8 {
				t.Fatalf("props lost:\n got %+v\nwant %+v", p, m.Props)
			}
			if !reflect.DeepEqual(p.User, m.Props.User) {
				t.Fatalf("user properties:\n got %q\nwant %q", p.User, m.Props.User)
			}
		})
	}
}

// Correlation data is binary in MQTT 5: any byte must survive.
func TestNetworkMessageRoundTripBinaryCorrelation(t *testing.T) {
	corr := make([]byte, 256)
	for i := range corr {
		corr[i] = byte(i)
	}
	m := &broker.Message{Dest: dest.Q("rpc"), Payload: []byte("x"), Props: &broker.Props{CorrelationData: corr}}
	got := roundTrip(t, frame.SEND, m, "ID:x-1", []string{"a"})
	if got.Props == nil || !bytes.Equal(got.Props.CorrelationData, corr) {
		t.Fatalf("correlation data changed:\n got %x\nwant %x", got.Props.CorrelationData, corr)
	}
}

// A plain MQTT publish: nothing optional set, nothing invented.
func TestNetworkMessageRoundTripMinimal(t *testing.T) {
	m := &broker.Message{Dest: dest.T("a.b"), Payload: nil, Priority: 4}
	got := roundTrip(t, frame.MESSAGE, m, "ID:x-2", []string{"x"})
	if got.QoS != 0 || got.Retain || got.Persistent || got.Expiry != 0 || len(got.Payload) != 0 || got.Priority != 4 {
		t.Fatalf("minimal message changed: %+v", got)
	}
	if p := got.Props; p.ContentType != "" || p.CorrelationData != nil || p.ReplyTo.Name != "" || p.PayloadUTF8 || len(p.User) != 0 {
		t.Fatalf("props invented: %+v", p)
	}
}

func TestNetworkDecodeRejectsBadDestination(t *testing.T) {
	f := frame.New(frame.SEND, frame.Destination, "orders")
	if _, err := decodeMessage(f); err == nil {
		t.Fatal("a destination without /queue/ or /topic/ must be refused")
	}
}

func TestNetworkDedupeRing(t *testing.T) {
	d := newDedupe(4)
	for i := 0; i < 4; i++ {
		if d.seen(fmt.Sprint("id", i)) {
			t.Fatalf("id%d reported seen on first sight", i)
		}
	}
	for i := 0; i < 4; i++ {
		if !d.seen(fmt.Sprint("id", i)) {
			t.Fatalf("id%d not remembered", i)
		}
	}
	// A fifth id evicts the oldest one only.
	if d.seen("id4") {
		t.Fatal("id4 seen on first sight")
	}
	if d.seen("id0") {
		t.Fatal("id0 should have been evicted by id4")
	}
	// id0 came back and evicted id1; id2, id3, id4 are still there.
	for _, id := range []string{"id2", "id3", "id4", "id0"} {
		if !d.seen(id) {
			t.Fatalf("%s forgotten too early", id)
		}
	}
	if d.seen("") {
		t.Fatal("an empty id is never a duplicate")
	}
	if d.seen("") {
		t.Fatal("an empty id is never a duplicate")
	}
	if len(d.set) != 4 {
		t.Fatalf("ring holds %d ids, want 4", len(d.set))
	}
}
