package mqtt_test

import (
	"io"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/hashi-broker/hashi/broker/mqtt/packet"
)

// BenchmarkConnect measures a device's connection over loopback: CONNECT,
// CONNACK, DISCONNECT and the close, client and broker in one process
// (profile with -cpuprofile and look at the broker's side). The client is
// bare bytes on a socket it closes itself, so that a long run measures the
// broker, not what the test helpers keep per connection.
func BenchmarkConnect(b *testing.B) {
	br := startBroker(b, "")
	b.ReportAllocs()
	disconnect, _ := packet.Append(nil, &packet.Disconnect{}, packet.V311)
	ack := make([]byte, 4)
	i := 0
	for b.Loop() {
		i++
		connect, err := packet.Append(nil, &packet.Connect{ClientID: "lock-" + strconv.Itoa(i), CleanStart: true}, packet.V311)
		if err != nil {
			b.Fatal(err)
		}
		nc, err := net.DialTimeout("tcp", br.addr, ioTimeout)
		if err != nil {
			b.Fatal(err)
		}
		nc.SetDeadline(time.Now().Add(ioTimeout))
		if _, err := nc.Write(connect); err != nil {
			b.Fatal(err)
		}
		if _, err := io.ReadFull(nc, ack); err != nil {
			b.Fatalf("connection %d: reading CONNACK: %v", i, err)
		}
		if ack[0] != 0x20 || ack[3] != 0 {
			b.Fatalf("connection %d: CONNACK % x", i, ack)
		}
		nc.Write(disconnect)
		// The broker closes first after DISCONNECT; waiting for its EOF
		// keeps the connection's whole life inside the loop.
		if n, err := nc.Read(ack); err != io.EOF {
			b.Fatalf("connection %d: after DISCONNECT read %d bytes, %v", i, n, err)
		}
		nc.Close()
	}
}
