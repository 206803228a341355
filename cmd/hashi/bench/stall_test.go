package bench

import (
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashi-broker/hashi/broker/mqtt/packet"
)

// stallingBroker accepts MQTT clients and forwards QoS 0 PUBLISH packets
// (the warm-up probes) to subscribers, but never acknowledges or forwards
// QoS 1: a broker that has stopped making progress.
func stallingBroker(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var (
		mu    sync.Mutex
		conns []net.Conn
		subs  []net.Conn
		wg    sync.WaitGroup
	)
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			wg.Add(1)
			go func() {
				defer wg.Done()
				fr := newFrameReader(c, 4096)
				for {
					b0, frame, hl, err := fr.next()
					if err != nil {
						return
					}
					switch packet.Type(b0 >> 4) {
					case packet.TypeConnect:
						c.Write([]byte{0x20, 2, 0, 0})
					case packet.TypeSubscribe:
						c.Write([]byte{0x90, 3, frame[hl], frame[hl+1], 1})
						mu.Lock()
						subs = append(subs, c)
						mu.Unlock()
					case packet.TypePublish:
						if b0>>1&3 == 0 {
							mu.Lock()
							for _, s := range subs {
								s.Write(frame)
							}
							mu.Unlock()
						}
					}
				}
			}()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	return ln.Addr().String()
}

// TestStalledBrokerBoundedRun: publishers blocked on a full window are
// closed once the run is over; everything counts as lost.
func TestStalledBrokerBoundedRun(t *testing.T) {
	cfg := quick(FanIn, stallingBroker(t))
	cfg.Publishers, cfg.QoS, cfg.Inflight, cfg.Duration, cfg.Drain = 2, 1, 50, 300*time.Millisecond, 700*time.Millisecond
	begin := time.Now()
	res := mustRun(t, cfg)
	if el := time.Since(begin); el > 5*time.Second {
		t.Errorf("run took %v", el)
	}
	if res.Sent != 100 || res.Acked != 0 || res.Lost != 100 || res.Received != 0 {
		t.Errorf("sent %d acked %d counts %+v", res.Sent, res.Acked, res.Counts)
	}
	if len(res.Errors) != 1 || !strings.Contains(res.Errors[0], "blocked") {
		t.Errorf("errors %v", res.Errors)
	}
}
