package network

import (
	"bytes"
	"testing"

	"github.com/hashi-broker/hashi/broker"
	"github.com/hashi-broker/hashi/broker/dest"
	wire "github.com/hashi-broker/hashi/broker/stomp/frame"
)

// FuzzDecodeMessage reads arbitrary bytes as bridge frames and decodes them
// as forwarded messages: no input may panic, and a decoded message must
// have a destination and no more broker path entries than the header has
// commas plus one.
func FuzzDecodeMessage(f *testing.F) {
	m := &broker.Message{Dest: dest.T("a.b"), Payload: []byte("x\x00y"), QoS: 1, Retain: true, Timestamp: 1,
		Props: &broker.Props{User: []broker.KV{{Key: "k", Value: "v:\n"}}, CorrelationData: []byte("c")}}
	f.Add(appendMessage(wire.Start(nil, "SEND", "1.2"), m, "x", []string{"p1"}, "p2"))
	f.Add([]byte("MESSAGE\ndestination:/queue/q\nhashi-path:,,\nhashi-qos:9\npriority:-1\n\n\x00"))
	f.Fuzz(func(t *testing.T, data []byte) {
		r := wire.NewReader(bytes.NewReader(data), 4096)
		r.Version = "1.2"
		r.MaxFrameSize = 1 << 20
		for i := 0; i < 8; i++ {
			fr, err := r.Read()
			if err != nil {
				return
			}
			if fr == nil {
				continue
			}
			msg, err := decodeMessage(fr)
			if err != nil {
				continue
			}
			if msg.Dest.Name == "" {
				t.Fatal("decoded a message without a destination")
			}
			if msg.QoS > 2 || msg.Priority > 9 {
				t.Fatalf("out of range QoS %d or priority %d", msg.QoS, msg.Priority)
			}
			if n := bytes.Count([]byte(fr.Header.Get(hPath)), []byte(",")) + 1; len(msg.BrokerPath) > n {
				t.Fatalf("path of %d from a header with %d parts", len(msg.BrokerPath), n)
			}
		}
	})
}
