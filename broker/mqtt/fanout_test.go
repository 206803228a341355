package mqtt_test

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashi-broker/hashi/broker/mqtt/packet"
)

// Concurrent publishers and acknowledging subscribers of every kind at once,
// mostly for the race detector: every message arrives once per subscriber
// (once per shared group), and each publisher's messages of one QoS keep
// their order per subscriber [MQTT-4.6.0-6] (QoS 0 may overtake QoS 1/2
// waiting for a small Receive Maximum; the spec orders "the same Topic and
// QoS" only).
func TestConcurrentFanout_MQTT_4_6_0_6(t *testing.T) {
	t.Parallel()
	b := startBroker(t, "")
	const pubs, per = 4, 150
	rm2 := props(func(p *packet.Properties) { p.ReceiveMaximum = 2 }, packet.PropReceiveMaximum)

	type subscriber struct {
		name string
		c    *client
		want int
	}
	v3 := b.connect311("v3", true)
	v3.sub("fan/#", 2)
	v5, _ := b.connect5("v5", rm2)
	v5.sub("fan/#", 1)
	s1 := b.connect311("share1", true)
	s1.sub("$share/g/fan/#", 2)
	s2, _ := b.connect5("share2", rm2)
	s2.sub("$share/g/fan/#", 2)
	subs := []subscriber{{"v3", v3, pubs * per}, {"v5", v5, pubs * per}, {"share1", s1, -1}, {"share2", s2, -1}}

	var wg sync.WaitGroup
	results := make([]map[string][]int, len(subs))
	errs := make(chan error, len(subs)+pubs)
	total := pubs * per
	var sharedMu sync.Mutex
	shared := 0
	for i, s := range subs {
		results[i] = map[string][]int{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			got := 0
			for {
				if s.want > 0 && got == s.want {
					return
				}
				if s.want < 0 {
					sharedMu.Lock()
					done := shared == total
					sharedMu.Unlock()
					if done {
						return
					}
				}
				p, err := s.c.next(ioTimeout)
				if err != nil {
					sharedMu.Lock()
					done := s.want < 0 && shared == total // woken by the other member
					sharedMu.Unlock()
					if !done {
						errs <- fmt.Errorf("%s after %d messages: %w", s.name, got, err)
					}
					return
				}
				switch p := p.(type) {
				case *packet.Publish:
					from, seq, _ := strings.Cut(string(p.Payload), ":")
					n, _ := strconv.Atoi(seq)
					key := fmt.Sprintf("%s QoS %d", from, n%3) // publishers send QoS n%3
					results[i][key] = append(results[i][key], n)
					got++
					if s.want < 0 {
						sharedMu.Lock()
						if shared++; shared == total {
							// Wake the other member from its read.
							s1.nc.SetReadDeadline(time.Now())
							s2.nc.SetReadDeadline(time.Now())
						}
						sharedMu.Unlock()
					}
					if err := ackRaw(s.c, p); err != nil {
						errs <- err
						return
					}
				case *packet.Ack: // PUBREL
					if err := writeRaw(s.c, &packet.Ack{PacketType: packet.TypePubcomp, PacketID: p.PacketID}); err != nil {
						errs <- err
						return
					}
				}
			}
		}()
	}
	for i := range pubs {
		c := b.connect311(fmt.Sprint("p", i), true)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := range per {
				qos := byte(n % 3)
				pid := uint16(n + 1)
				if err := writeRaw(c, &packet.Publish{Topic: fmt.Sprint("fan/", i), QoS: qos, PacketID: pid, Payload: fmt.Appendf(nil, "p%d:%d", i, n)}); err != nil {
					errs <- err
					return
				}
				if qos == 0 {
					continue
				}
				if err := awaitAck(c, qos, pid); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if t.Failed() {
		return
	}
	for i, s := range subs {
		for from, seqs := range results[i] {
			for k := 1; k < len(seqs); k++ {
				if seqs[k] <= seqs[k-1] {
					t.Errorf("%s: messages from %s out of order: %d after %d", s.name, from, seqs[k], seqs[k-1])
					break
				}
			}
		}
	}
	// Plain subscribers got every message once; the shared group got
	// everything once between its two members.
	for _, i := range []int{0, 1} {
		distinct := map[string]bool{}
		for from, seqs := range results[i] {
			for _, n := range seqs {
				distinct[fmt.Sprint(from, n)] = true
			}
		}
		if len(distinct) != total {
			t.Errorf("%s got %d distinct messages, want %d", subs[i].name, len(distinct), total)
		}
	}
	seen := map[string]int{}
	for _, i := range []int{2, 3} {
		for from, seqs := range results[i] {
			for _, n := range seqs {
				seen[fmt.Sprint(from[:strings.IndexByte(from, ' ')], ":", n)]++
			}
		}
	}
	if len(seen) != total {
		t.Errorf("shared group got %d distinct messages, want %d", len(seen), total)
	}
}

// writeRaw, ackRaw and awaitAck are the client operations for goroutines
// other than the test's: they report errors instead of failing the test.
func writeRaw(c *client, p packet.Packet) error {
	buf, err := packet.Append(nil, p, c.v)
	if err != nil {
		return err
	}
	_, err = c.nc.Write(buf)
	return err
}

func ackRaw(c *client, p *packet.Publish) error {
	switch p.QoS {
	case 1:
		return writeRaw(c, &packet.Ack{PacketType: packet.TypePuback, PacketID: p.PacketID})
	case 2:
		return writeRaw(c, &packet.Ack{PacketType: packet.TypePubrec, PacketID: p.PacketID})
	}
	return nil
}

func awaitAck(c *client, qos byte, pid uint16) error {
	p, err := c.next(ioTimeout)
	if err != nil {
		return err
	}
	a, ok := p.(*packet.Ack)
	if !ok || a.PacketID != pid {
		return fmt.Errorf("got %s, want the ack of %d", p.Type(), pid)
	}
	if qos == 1 {
		return nil
	}
	if err := writeRaw(c, &packet.Ack{PacketType: packet.TypePubrel, PacketID: pid}); err != nil {
		return err
	}
	p, err = c.next(ioTimeout)
	if err != nil {
		return err
	}
	if a, ok := p.(*packet.Ack); !ok || a.PacketType != packet.TypePubcomp {
		return errors.New("no PUBCOMP")
	}
	return nil
}

// A connection remembers the topic it last published to; publishes that
// switch between topics, and back, each reach their own subscribers,
// also in one write (the reader's buffer is reused between packets).
func TestPublishesSwitchingTopics(t *testing.T) {
	t.Parallel()
	b := startBroker(t, "")
	a := b.connect311("sub-a", true)
	a.sub("sw/a", 0)
	bb := b.connect311("sub-b", true)
	bb.sub("sw/b/+", 0)
	pub := b.connect311("switcher", true)
	var stream []byte
	for i, topic := range []string{"sw/a", "sw/b/1", "sw/a", "sw/a", "sw/b/2", "sw/b/2", "sw/a"} {
		stream, _ = packet.Append(stream, &packet.Publish{Topic: topic, Payload: []byte{byte('0' + i)}}, packet.V311)
	}
	if _, err := pub.nc.Write(stream); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"sw/a 0", "sw/a 2", "sw/a 3", "sw/a 6"} {
		if p := a.recv(); p.Topic+" "+string(p.Payload) != want {
			t.Fatalf("sub-a got %s %s, want %s", p.Topic, p.Payload, want)
		}
	}
	for _, want := range []string{"sw/b/1 1", "sw/b/2 4", "sw/b/2 5"} {
		if p := bb.recv(); p.Topic+" "+string(p.Payload) != want {
			t.Fatalf("sub-b got %s %s, want %s", p.Topic, p.Payload, want)
		}
	}
	a.expectNothing("a publish to another topic")
}
