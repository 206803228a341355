package mqtt

import (
	"io"
	"net"
	"testing"
	"time"
)

// The probe reads the kernel's count for a real connection, and it
// grows as the peer receives.
func TestAckedProbeCountsReceivedBytes(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	client, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	server, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer server.Close()
	probe := ackedProbe(server)
	before, ok := probe()
	if !ok {
		t.Fatal("probe failed on a TCP connection")
	}
	if _, err := server.Write(make([]byte, 10000)); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 10000)
	if _, err := io.ReadFull(client, buf); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		after, _ := probe()
		if after-before >= 10000 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("acknowledged %d bytes after the peer read 10000", after-before)
		}
		time.Sleep(time.Millisecond)
	}
}
