package network

import (
	"bytes"
	"errors"
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
// as a record in a batch frame, through real wire bytes, and decodes it
// again.
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
	m.BrokerPath = path
	body := appendRecord(nil, m, 77, recResent, origin, self)
	raw := wire.Start(nil, cmd, "1.2").Header(frame.Destination, batchDest).End(body, true)
	r := wire.NewReader(bytes.NewReader(raw), 64*1024)
	r.Version = "1.2"
	back, err := r.Read()
	if err != nil {
		t.Fatalf("reading %q: %v", raw, err)
	}
	rec, rest, err := nextRecord(back.Body)
	if err != nil || len(rest) != 0 {
		t.Fatalf("splitting the batch: %v, %d bytes left", err, len(rest))
	}
	var rr recordReader
	got, fh, err := rr.decode(rec)
	if err != nil {
		t.Fatal(err)
	}
	if fh.seq != 77 || !fh.resent || fh.sync {
		t.Fatalf("link fields %+v, want seq 77, resent", fh)
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
			if got.KnownID() != "ID:tokyo-abc-42" || p.ContentType != m.Props.ContentType || p.ReplyTo != m.Props.ReplyTo ||
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
	if got.Props != nil {
		t.Fatalf("props invented: %+v", got.Props)
	}
	if got.KnownID() != "ID:x-2" {
		t.Fatalf("id %q, want ID:x-2", got.KnownID())
	}
}

// A record with an unusable destination is refused by itself: its sequence
// number is still read (the sender is told), and the records after it in
// the batch are read as usual.
func TestNetworkDecodeRejectsBadDestination(t *testing.T) {
	good := &broker.Message{Dest: dest.T("a"), Payload: []byte("ok")}
	for _, bad := range []dest.Destination{{Kind: dest.Queue, Name: ""}, {Kind: 7, Name: "orders"}} {
		body := appendRecord(nil, &broker.Message{Dest: bad, Payload: []byte("x")}, 5, 0, "o", "s")
		body = appendRecord(body, good, 6, 0, "o", "s")
		var rr recordReader
		rec, rest, err := nextRecord(body)
		if err != nil {
			t.Fatal(err)
		}
		if _, fh, err := rr.decode(rec); !errors.Is(err, errRecordDest) || fh.seq != 5 {
			t.Fatalf("%v: got %v, seq %d; want errRecordDest, seq 5", bad, err, fh.seq)
		}
		rec, _, err = nextRecord(rest)
		if err != nil {
			t.Fatal(err)
		}
		if m, fh, err := rr.decode(rec); err != nil || fh.seq != 6 || string(m.Payload) != "ok" {
			t.Fatalf("the record after a bad one: %v, seq %d", err, fh.seq)
		}
	}
}

// Records cut short, or claiming more than they hold, do not parse; nothing
// is allocated for counts the record cannot back.
func TestNetworkRecordTruncated(t *testing.T) {
	m := &broker.Message{Dest: dest.T("devices.a"), Payload: []byte("payload"), Priority: 4,
		Props: &broker.Props{ContentType: "text/plain", User: []broker.KV{{Key: "k", Value: "v"}},
			ReplyTo: dest.Q("replies")}}
	full := appendRecord(nil, m, 1, 0, "o", "s")
	if _, _, err := nextRecord(full[:len(full)-1]); err != errRecord {
		t.Fatalf("a record longer than the body: %v", err)
	}
	rec := full[4:]
	// Every cut before the payload leaves a field unfinished.
	head := len(rec) - len(m.Payload)
	for n := 0; n < head; n++ {
		var rr recordReader
		if _, _, err := rr.decode(rec[:n]); err != errRecord {
			t.Fatalf("record cut at %d of %d bytes decoded: %v", n, head, err)
		}
	}
	// A huge path count in a short record.
	bad := []byte{0, 0, 4, 0, 0, 0, 0, 1, 'a', 0, 0xff, 0xff, 0xff, 0xff, 0x0f}
	var rr recordReader
	if _, _, err := rr.decode(bad); err != errRecord {
		t.Fatalf("a path count of 4 billion: %v", err)
	}
}

// Consecutive records share their decoded destination and path; a change
// of either is seen.
func TestNetworkRecordReaderReuse(t *testing.T) {
	var body []byte
	for i, d := range []dest.Destination{dest.T("a.b"), dest.T("a.b"), dest.Q("a.b"), dest.T("a.b")} {
		m := &broker.Message{Dest: d, Payload: []byte{byte(i)}, BrokerPath: []string{"x"}}
		if i == 3 {
			m.BrokerPath = []string{"y"}
		}
		body = appendRecord(body, m, uint64(i+1), 0, "o", "self")
	}
	var rr recordReader
	var got []*broker.Message
	for len(body) > 0 {
		rec, rest, err := nextRecord(body)
		if err != nil {
			t.Fatal(err)
		}
		body = rest
		m, _, err := rr.decode(rec)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, m)
	}
	want := []struct {
		d    dest.Destination
		path []string
	}{{dest.T("a.b"), []string{"x", "self"}}, {dest.T("a.b"), []string{"x", "self"}},
		{dest.Q("a.b"), []string{"x", "self"}}, {dest.T("a.b"), []string{"y", "self"}}}
	for i, w := range want {
		if got[i].Dest != w.d || !reflect.DeepEqual(got[i].BrokerPath, w.path) || got[i].Payload[0] != byte(i) {
			t.Fatalf("record %d: %v %v, want %v %v", i, got[i].Dest, got[i].BrokerPath, w.d, w.path)
		}
	}
	if &got[0].BrokerPath[0] != &got[2].BrokerPath[0] {
		t.Fatal("an unchanged path was decoded again")
	}
}

// A decoded message owns its payload and id (the batch body is reused for
// the next frame), and appending to its payload leaves its id alone: the
// two share one allocation.
func TestNetworkRecordOwnsItsBytes(t *testing.T) {
	for _, size := range []int{0, 1, 64, 200, 5000} {
		payload := bytes.Repeat([]byte{'p'}, size)
		sent := &broker.Message{Dest: dest.T("a"), Payload: payload}
		sent.SetID("ID:tokyo-1-42")
		body := appendRecord(nil, sent, 1, 0, "o", "s")
		var rr recordReader
		rec, _, err := nextRecord(body)
		if err != nil {
			t.Fatal(err)
		}
		m, _, err := rr.decode(rec)
		if err != nil {
			t.Fatal(err)
		}
		clear(body)
		if !bytes.Equal(m.Payload, payload) || m.KnownID() != "ID:tokyo-1-42" {
			t.Fatalf("size %d: the reused body changed the message: %d bytes, id %q", size, len(m.Payload), m.KnownID())
		}
		_ = append(m.Payload, "appended after the payload"...)
		if m.KnownID() != "ID:tokyo-1-42" {
			t.Fatalf("size %d: appending to the payload changed the id to %q", size, m.KnownID())
		}
	}
}

func TestNetworkDedupeRing(t *testing.T) {
	d := newDedupe(4)
	key := func(i int) msgKey { return msgKey{dest.T("orders"), fmt.Sprint("id", i)} }
	for i := range 4 {
		d.add(key(i)) // recorded without an index: no resend is going on
	}
	for i := range 4 {
		if !d.has(key(i)) {
			t.Fatalf("id%d not remembered", i)
		}
	}
	// The same id on another destination is another message.
	if d.has(msgKey{dest.Q("orders"), "id0"}) {
		t.Fatal("queue://orders id0 taken for topic://orders id0")
	}
	// While indexed (resends arriving), a new id evicts the oldest only.
	d.add(key(4))
	for i := range 5 {
		if got, want := d.has(key(i)), i > 0; got != want {
			t.Fatalf("id%d remembered = %v, want %v", i, got, want)
		}
	}
	// An id recorded twice stays until both slots are overwritten.
	d.add(key(4))
	d.add(key(5))
	d.add(key(6))
	if !d.has(key(4)) {
		t.Fatal("id4 forgotten while one of its two slots remains")
	}
	// After the resends, recording goes on without the index and a later
	// lookup rebuilds it from the ring.
	d.resendsOver()
	d.add(key(7))
	d.add(key(8))
	for i := range 9 {
		if got, want := d.has(key(i)), i >= 5; got != want {
			t.Fatalf("after rebuilding: id%d remembered = %v, want %v", i, got, want)
		}
	}
	// Messages without an id are never taken for duplicates.
	d.add(msgKey{dest.T("orders"), ""})
	if d.has(msgKey{dest.T("orders"), ""}) {
		t.Fatal("an empty id was remembered")
	}
}
