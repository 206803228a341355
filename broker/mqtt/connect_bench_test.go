package mqtt_test

import (
	"strconv"
	"testing"
)

// BenchmarkConnect measures a device's connection over loopback: CONNECT,
// CONNACK, DISCONNECT and the close, client and broker in one process
// (profile with -cpuprofile and look at the broker's side).
func BenchmarkConnect(b *testing.B) {
	br := startBroker(b, "")
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		br.connect311("lock-"+strconv.Itoa(i), true).disconnect()
	}
}
