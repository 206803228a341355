package network

import (
	"testing"

	"github.com/hashi-broker/hashi/broker"
	"github.com/hashi-broker/hashi/broker/dest"
)

// benchBatch is a batch body of n QoS 1 telemetry messages of 64 bytes,
// as a bridge carries them.
func benchBatch(n int) []byte {
	m := &broker.Message{Dest: dest.T("devices.lock-7.state"), Payload: make([]byte, 64), QoS: 1,
		Priority: 4, Timestamp: 1700000000000, BrokerPath: []string{"tokyo-1a2b3c"}}
	var body []byte
	for i := range n {
		m.Seq = uint64(i + 1)
		body = appendRecord(body, m, uint64(i+1), 0, "tokyo-1a2b3c", "osaka-4d5e6f")
	}
	return body
}

// BenchmarkRecordEncode is the sender's cost per forwarded message.
func BenchmarkRecordEncode(b *testing.B) {
	m := &broker.Message{Dest: dest.T("devices.lock-7.state"), Payload: make([]byte, 64), QoS: 1,
		Priority: 4, Timestamp: 1700000000000}
	body := make([]byte, 0, 64<<10)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if len(body) > 60<<10 {
			body = body[:0]
		}
		m.Seq = uint64(i)
		body = appendRecord(body, m, uint64(i+1), 0, "tokyo-1a2b3c", "tokyo-1a2b3c")
	}
}

// BenchmarkRecordDecode is the receiver's cost per forwarded message,
// reading a batch of 512.
func BenchmarkRecordDecode(b *testing.B) {
	const n = 512
	full := benchBatch(n)
	body := full
	var rr recordReader
	b.ReportAllocs()
	b.SetBytes(int64(len(full) / n))
	for b.Loop() {
		if len(body) == 0 {
			body = full
		}
		rec, rest, err := nextRecord(body)
		if err != nil {
			b.Fatal(err)
		}
		body = rest
		if _, _, err := rr.decode(rec); err != nil {
			b.Fatal(err)
		}
	}
}
