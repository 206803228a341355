package e2e

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashi-broker/hashi/broker/mqtt/packet"
)

// rawClient is a minimal MQTT 3.1.1 client on the codec, fast enough that the
// broker, not the client, is what a benchmark measures.
type rawClient struct {
	c net.Conn
	r *packet.Reader
	w *bufio.Writer
}

func dialRaw(tb testing.TB, addr, id string) *rawClient {
	tb.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		tb.Fatal(err)
	}
	rc := &rawClient{c: c, r: packet.NewReader(c, 64*1024), w: bufio.NewWriterSize(c, 64*1024)}
	rc.r.SetVersion(packet.V311)
	rc.send(tb, &packet.Connect{ClientID: id, CleanStart: true, KeepAlive: 60})
	rc.w.Flush()
	p, err := rc.r.Read()
	if err != nil {
		tb.Fatal(err)
	}
	if ack, ok := p.(*packet.Connack); !ok || ack.ReasonCode != 0 {
		tb.Fatalf("CONNACK: %+v", p)
	}
	tb.Cleanup(func() { c.Close() })
	return rc
}

func (rc *rawClient) send(tb testing.TB, p packet.Packet) {
	buf, err := packet.Append(nil, p, packet.V311)
	if err != nil {
		tb.Fatal(err)
	}
	rc.w.Write(buf)
}

func (rc *rawClient) subscribe(tb testing.TB, filter string, qos byte) {
	rc.send(tb, &packet.Subscribe{PacketID: 1, Subscriptions: []packet.Subscription{{Filter: filter, QoS: qos}}})
	rc.w.Flush()
	p, err := rc.r.Read()
	if err != nil {
		tb.Fatal(err)
	}
	if _, ok := p.(*packet.Suback); !ok {
		tb.Fatalf("SUBACK: %+v", p)
	}
}

// startMosquitto runs Debian's mosquitto on a free loopback port.
func startMosquitto(tb testing.TB) string {
	tb.Helper()
	bin := "/usr/sbin/mosquitto"
	if _, err := os.Stat(bin); err != nil {
		tb.Fatalf("mosquitto not installed (apt-get install mosquitto; scripts/test.sh does): %v", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	_, port, _ := net.SplitHostPort(addr)
	dir := tb.TempDir()
	conf := filepath.Join(dir, "mosquitto.conf")
	// max_queued_messages 0: no per-client cap, as Hashi keeps QoS 1 too.
	os.WriteFile(conf, []byte(fmt.Sprintf("listener %s 127.0.0.1\nallow_anonymous true\nmax_queued_messages 0\nmax_inflight_messages 1000\npersistence false\n", port)), 0o644)
	cmd := exec.Command(bin, "-c", conf)
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	waitFor(tb, 10*time.Second, "mosquitto listening", func() bool {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
		}
		return err == nil
	})
	return addr
}

// BenchmarkPublishDeliver measures one publisher to one subscriber through a
// broker process, Hashi and Mosquitto side by side in one run:
//
//	go test -run XXX -bench PublishDeliver -benchtime 200000x ./e2e/
func BenchmarkPublishDeliver(b *testing.B) {
	for _, name := range []string{"hashi", "mosquitto"} {
		for _, qos := range []byte{0, 1} {
			b.Run(fmt.Sprintf("%s/qos%d", name, qos), func(b *testing.B) {
				var addr string
				if name == "hashi" {
					p := startBroker(b, brokerXML("", mqttConnectorXML))
					addr = p.addr("mqtt")
				} else {
					addr = startMosquitto(b)
				}
				benchPubSub(b, addr, qos, 64)
			})
		}
	}
}

func benchPubSub(b *testing.B, addr string, qos byte, size int) {
	sub := dialRaw(b, addr, "bench-sub")
	sub.subscribe(b, "bench/t", qos)
	pub := dialRaw(b, addr, "bench-pub")
	payload := make([]byte, size)

	var received atomic.Int64
	done := make(chan struct{})
	go func() { // subscriber: count, acknowledge QoS 1
		defer close(done)
		for received.Load() < int64(b.N) {
			sub.c.SetReadDeadline(time.Now().Add(2 * time.Second))
			p, err := sub.r.Read()
			if err != nil {
				return // idle: the rest was dropped
			}
			if m, ok := p.(*packet.Publish); ok {
				received.Add(1)
				if m.QoS == 1 {
					sub.send(b, &packet.Ack{PacketType: packet.TypePuback, PacketID: m.PacketID})
					if sub.r.Buffered() == 0 {
						sub.w.Flush()
					}
				}
			}
		}
		sub.w.Flush()
	}()
	window := make(chan struct{}, 1000) // QoS 1 publisher: 1000 unacknowledged
	if qos == 1 {
		go func() {
			for {
				p, err := pub.r.Read()
				if err != nil {
					return
				}
				if _, ok := p.(*packet.Ack); ok {
					<-window
				}
			}
		}()
	}
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		var pid uint16
		if qos == 1 {
			select {
			case window <- struct{}{}:
			default:
				pub.w.Flush()
				window <- struct{}{}
			}
			pid = uint16(i%65535 + 1)
		}
		buf, _ := packet.AppendPublish(pub.w.AvailableBuffer(), packet.V311, "bench/t", payload, qos, false, false, pid, nil)
		pub.w.Write(buf)
	}
	pub.w.Flush()
	<-done
	el := time.Since(start)
	b.StopTimer()
	n := received.Load()
	b.ReportMetric(float64(n)/el.Seconds(), "msgs/s")
	b.ReportMetric(100*float64(int64(b.N)-n)/float64(b.N), "lost%")
}
