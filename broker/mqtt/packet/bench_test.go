package packet

import (
	"bytes"
	"strconv"
	"testing"
)

// benchRead decodes a stream of n packets repeated forever.
func benchRead(b *testing.B, v byte, pkt []byte, n int) {
	r := NewReader(&repeatReader{data: pkt}, 0)
	r.Version = v
	b.SetBytes(int64(len(pkt) / n))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := r.Read(); err != nil {
			b.Fatal(err)
		}
	}
}

func twoProps() *Properties {
	p := &Properties{UserProperties: []UserProperty{{"trace", "abc123"}}}
	p.MessageExpiryInterval = 60
	p.Set(PropMessageExpiryInterval)
	return p
}

func BenchmarkDecodePublishV311(b *testing.B) { benchRead(b, V311, publishBytes(b, V311, nil), 1) }
func BenchmarkDecodePublishV5(b *testing.B)   { benchRead(b, V5, publishBytes(b, V5, nil), 1) }
func BenchmarkDecodePublishV5Props(b *testing.B) {
	benchRead(b, V5, publishBytes(b, V5, twoProps()), 1)
}

// BenchmarkDecodePublishDistinctTopics defeats the topic cache.
func BenchmarkDecodePublishDistinctTopics(b *testing.B) {
	var stream []byte
	for i := 0; i < 64; i++ {
		stream, _ = AppendPublish(stream, V311, "sensors/room"+strconv.Itoa(i)+"/temperature",
			bytes.Repeat([]byte{'x'}, 64), 1, false, false, 7, nil)
	}
	benchRead(b, V311, stream, 64)
}

func BenchmarkEncodePublishV311(b *testing.B) {
	payload := bytes.Repeat([]byte{'x'}, 64)
	buf := make([]byte, 0, 256)
	b.ReportAllocs()
	for b.Loop() {
		buf, _ = AppendPublish(buf[:0], V311, "sensors/room1/temperature", payload, 1, false, false, 7, nil)
	}
	b.SetBytes(int64(len(buf)))
}

func BenchmarkEncodePublishV5Props(b *testing.B) {
	payload := bytes.Repeat([]byte{'x'}, 64)
	props := twoProps()
	buf := make([]byte, 0, 256)
	b.ReportAllocs()
	for b.Loop() {
		buf, _ = AppendPublish(buf[:0], V5, "sensors/room1/temperature", payload, 1, false, false, 7, props)
	}
	b.SetBytes(int64(len(buf)))
}

func BenchmarkEncodePublishStruct(b *testing.B) {
	p := &Publish{QoS: 1, PacketID: 7, Topic: "sensors/room1/temperature", Payload: bytes.Repeat([]byte{'x'}, 64)}
	buf := make([]byte, 0, 256)
	b.ReportAllocs()
	for b.Loop() {
		buf, _ = Append(buf[:0], p, V311)
	}
}

var benchSub = &Subscribe{PacketID: 9, Subscriptions: []Subscription{
	{Filter: "sensors/+/temperature", QoS: 1},
	{Filter: "alerts/#", QoS: 2, RetainHandling: 1},
	{Filter: "$share/workers/jobs/+", QoS: 1},
}}

func BenchmarkDecodeSubscribeV5(b *testing.B) {
	pkt, err := Append(nil, benchSub, V5)
	if err != nil {
		b.Fatal(err)
	}
	benchRead(b, V5, pkt, 1)
}

func BenchmarkEncodeSubscribeV5(b *testing.B) {
	buf := make([]byte, 0, 256)
	b.ReportAllocs()
	for b.Loop() {
		buf, _ = Append(buf[:0], benchSub, V5)
	}
}
