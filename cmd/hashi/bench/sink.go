package bench

import (
	"net"
	"sync"
	"sync/atomic"

	"github.com/hashi-broker/hashi/broker/mqtt/packet"
	"github.com/hashi-broker/hashi/broker/transport/rawio"
)

// Sink is a trivial MQTT broker for measuring the generator: it accepts any
// client, grants every subscription, acknowledges every publish, and sends
// every PUBLISH as it came to every connection that subscribed to anything,
// with no topic matching, sessions or checks. All clients must speak the
// same protocol level, since frames are forwarded unchanged.
type Sink struct {
	ln net.Listener

	mu    sync.Mutex
	conns map[*sinkConn]struct{}
	subs  atomic.Pointer[[]*sinkConn] // copy on write
	wg    sync.WaitGroup

	in, out atomic.Int64
}

type sinkConn struct {
	c   net.Conn
	out *outbox
}

// outboxLimit bounds what a sink connection buffers before its writers wait.
const outboxLimit = 4 << 20

// NewSink listens on listen and serves until Close.
func NewSink(listen string) (*Sink, error) {
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return nil, err
	}
	s := &Sink{ln: ln, conns: map[*sinkConn]struct{}{}}
	s.subs.Store(new([]*sinkConn))
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			sc := &sinkConn{c: rawio.Wrap(c)}
			s.mu.Lock()
			if s.conns == nil {
				s.mu.Unlock()
				c.Close()
				return
			}
			s.conns[sc] = struct{}{}
			s.wg.Add(1)
			s.mu.Unlock()
			go func() {
				defer s.wg.Done()
				s.serve(sc)
			}()
		}
	}()
	return s, nil
}

// Addr is the sink's listening address.
func (s *Sink) Addr() string { return s.ln.Addr().String() }

// Counts returns the PUBLISH packets received and sent so far.
func (s *Sink) Counts() (in, out int64) { return s.in.Load(), s.out.Load() }

// Close stops listening, closes every connection and waits.
func (s *Sink) Close() error {
	err := s.ln.Close()
	s.mu.Lock()
	for sc := range s.conns {
		sc.c.Close()
	}
	s.conns = nil
	s.mu.Unlock()
	s.wg.Wait()
	return err
}

func (s *Sink) setSub(sc *sinkConn, on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	old := *s.subs.Load()
	subs := make([]*sinkConn, 0, len(old)+1)
	for _, x := range old {
		if x != sc {
			subs = append(subs, x)
		}
	}
	if on {
		subs = append(subs, sc)
	}
	s.subs.Store(&subs)
}

func (s *Sink) serve(sc *sinkConn) {
	sc.out = newInlineOutbox(sc.c, outboxLimit)
	defer func() {
		s.setSub(sc, false)
		sc.c.Close() // first: the writer may be blocked on this connection
		sc.out.close(false)
		s.mu.Lock()
		delete(s.conns, sc)
		s.mu.Unlock()
	}()
	fr := newFrameReader(sc.c, ioBufSize)
	var version byte
	reply := func(p packet.Packet) bool {
		b, err := packet.Append(nil, p, version)
		return err == nil && sc.out.write(true, b) == nil
	}
	ack := func(t packet.Type, flags byte, frame []byte, hl int) bool {
		pid, _, err := ackParts(frame, hl)
		return err == nil && sc.out.write(true, []byte{byte(t)<<4 | flags, 2, byte(pid >> 8), byte(pid)}) == nil
	}
	for {
		b0, frame, hl, err := fr.next()
		if err != nil {
			return
		}
		ok := true
		switch t := packet.Type(b0 >> 4); t {
		case packet.TypePublish:
			s.in.Add(1)
			// Forwarded first, acknowledged after, as a broker that
			// delivers before it acknowledges (Hashi, Mosquitto).
			for _, sub := range *s.subs.Load() {
				if sub.out.write(true, frame) == nil {
					s.out.Add(1)
				}
			}
			if qos := b0 >> 1 & 3; qos > 0 {
				body := frame[hl:]
				if len(body) < 2 {
					return
				}
				at := 2 + (int(body[0])<<8 | int(body[1]))
				if len(body) < at+2 {
					return
				}
				t := packet.TypePuback
				if qos == 2 {
					t = packet.TypePubrec
				}
				ok = sc.out.write(true, []byte{byte(t) << 4, 2, body[at], body[at+1]}) == nil
			}
		case packet.TypePubrec:
			ok = ack(packet.TypePubrel, 2, frame, hl)
		case packet.TypePubrel:
			ok = ack(packet.TypePubcomp, 0, frame, hl)
		case packet.TypePuback, packet.TypePubcomp:
		case packet.TypePingreq:
			ok = sc.out.write(true, []byte{byte(packet.TypePingresp) << 4, 0}) == nil
		case packet.TypeDisconnect:
			return
		default:
			p, _, err := packet.Decode(frame, version)
			if err != nil {
				return
			}
			switch p := p.(type) {
			case *packet.Connect:
				version = p.ProtocolVersion
				ok = reply(&packet.Connack{})
			case *packet.Subscribe:
				codes := make([]packet.ReasonCode, len(p.Subscriptions))
				for i, sub := range p.Subscriptions {
					codes[i] = packet.ReasonCode(sub.QoS)
				}
				ok = reply(&packet.Suback{PacketID: p.PacketID, ReasonCodes: codes})
				s.setSub(sc, true)
			case *packet.Unsubscribe:
				ok = reply(&packet.Unsuback{PacketID: p.PacketID})
				s.setSub(sc, false)
			}
		}
		if !ok {
			return
		}
	}
}
