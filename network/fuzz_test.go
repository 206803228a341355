package network

import (
	"reflect"
	"testing"

	"github.com/hashi-broker/hashi/broker"
	"github.com/hashi-broker/hashi/broker/dest"
)

// FuzzBatch reads arbitrary bytes as the body of a batch frame: no input
// may panic or allocate beyond what it holds, a decoded message has a
// usable destination and in-range fields, and a message encoded again
// decodes to the same fields.
func FuzzBatch(f *testing.F) {
	m := &broker.Message{Dest: dest.T("a.b"), Payload: []byte("x\x00y"), QoS: 1, Retain: true, Timestamp: 1,
		BrokerPath: []string{"p1"},
		Props: &broker.Props{User: []broker.KV{{Key: "k", Value: "v:\n"}}, CorrelationData: []byte("c"),
			ReplyTo: dest.Q("r")}}
	m.SetID("ID:x-1")
	one := appendRecord(nil, m, 3, recResent, "x", "p2")
	f.Add(one)
	f.Add(append(append([]byte{}, one...), one...))
	f.Add(appendRecord(nil, &broker.Message{Dest: dest.Q("q")}, 0, 0, "o", "s"))
	f.Add([]byte{0, 0, 0, 3, 1, 2, 3})
	f.Fuzz(func(t *testing.T, body []byte) {
		var rr recordReader
		for i := 0; len(body) > 0 && i < 64; i++ {
			rec, rest, err := nextRecord(body)
			if err != nil {
				return
			}
			body = rest
			msg, fh, err := rr.decode(rec)
			if err != nil {
				continue
			}
			if msg.Dest.Name == "" || msg.Dest.Kind > dest.TempQueue {
				t.Fatalf("decoded an unusable destination %v", msg.Dest)
			}
			if msg.QoS > 2 || msg.Priority > 9 {
				t.Fatalf("out of range QoS %d or priority %d", msg.QoS, msg.Priority)
			}
			if len(msg.BrokerPath) > len(rec) || msg.Props != nil && len(msg.Props.User) > len(rec) {
				t.Fatalf("%d path entries and %+v properties from a %d-byte record", len(msg.BrokerPath), msg.Props, len(rec))
			}
			// Encoded again (the path's last entry stands for the
			// sender), it decodes to the same message.
			path := msg.BrokerPath
			if len(path) == 0 {
				continue // the sender always adds itself
			}
			again := &broker.Message{Dest: msg.Dest, Payload: msg.Payload, QoS: msg.QoS, Retain: msg.Retain,
				Persistent: msg.Persistent, Priority: msg.Priority, Timestamp: msg.Timestamp, Expiry: msg.Expiry,
				Props: msg.Props, BrokerPath: path[:len(path)-1]}
			if id := msg.KnownID(); id != "" {
				again.SetID(id)
			}
			raw := appendRecord(nil, again, fh.seq, 0, "o", path[len(path)-1])
			var rr2 recordReader
			back, fh2, err := rr2.decode(raw[4:])
			if err != nil || fh2.seq != fh.seq || back.Dest != msg.Dest || string(back.Payload) != string(msg.Payload) ||
				(msg.KnownID() != "" && back.KnownID() != msg.KnownID()) || !reflect.DeepEqual(back.Props, msg.Props) || len(back.BrokerPath) != len(path) ||
				back.QoS != msg.QoS || back.Priority != msg.Priority || back.Timestamp != msg.Timestamp {
				t.Fatalf("re-encoded record differs: %v\n got %+v\nwant %+v", err, back, msg)
			}
		}
	})
}
