package bench

import (
	"bufio"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashi-broker/hashi/broker/mqtt/packet"
)

// Faults makes a Relay damage the benchmark PUBLISH packets it carries
// towards clients, counted per connection from 1 (warm-up probes are not
// counted or touched). Every DropEvery-th packet is dropped, every
// DupEvery-th sent twice, every CorruptEvery-th has its last payload byte
// inverted, and every SwapEvery-th is held back and sent after the next one.
// When several apply to one packet the first in that order wins. A held
// packet is sent in order instead (and not counted) when the next packet is
// itself damaged, comes from another publisher (so that every swap the relay
// counts is a reordering within one publisher's sequence) or does not come
// within 20 ms. Zero turns a fault off.
type Faults struct {
	DropEvery, DupEvery, CorruptEvery, SwapEvery int
	// Delay holds every byte this long in each direction (a WAN link's
	// latency, for kernels without netem). It applies to plain relaying.
	Delay time.Duration
}

func (f Faults) any() bool {
	return f.DropEvery > 0 || f.DupEvery > 0 || f.CorruptEvery > 0 || f.SwapEvery > 0
}

type fault int

const (
	pass fault = iota
	drop
	dup
	corrupt
	swap
)

func (f Faults) of(n int64) fault {
	every := func(k int) bool { return k > 0 && n%int64(k) == 0 }
	switch {
	case every(f.DropEvery):
		return drop
	case every(f.DupEvery):
		return dup
	case every(f.CorruptEvery):
		return corrupt
	case every(f.SwapEvery):
		return swap
	}
	return pass
}

// Injected counts what a Relay did to the packets it carried.
type Injected struct {
	Dropped, Duplicated, Corrupted, Reordered int64
}

// Relay is a TCP relay. Without faults it copies bytes both ways and does
// nothing else (on Linux the kernel splices them), which measures what the
// generator and one more hop cost. With faults it parses MQTT packets on the
// way to clients and damages some on purpose, which tests the counting.
type Relay struct {
	ln     net.Listener
	to     string
	faults Faults

	dropped, duplicated, corrupted, reordered atomic.Int64

	mu     sync.Mutex
	conns  map[net.Conn]struct{}
	closed bool
	wg     sync.WaitGroup
}

// NewRelay listens on listen and relays every connection to the address to.
func NewRelay(listen, to string, f Faults) (*Relay, error) {
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return nil, err
	}
	r := &Relay{ln: ln, to: to, faults: f, conns: map[net.Conn]struct{}{}}
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		r.serve()
	}()
	return r, nil
}

// Addr is the relay's listening address.
func (r *Relay) Addr() string { return r.ln.Addr().String() }

// Injected returns the faults injected so far.
func (r *Relay) Injected() Injected {
	return Injected{r.dropped.Load(), r.duplicated.Load(), r.corrupted.Load(), r.reordered.Load()}
}

// Close stops listening, closes every relayed connection and waits.
func (r *Relay) Close() error {
	err := r.ln.Close()
	r.mu.Lock()
	r.closed = true
	for c := range r.conns {
		c.Close()
	}
	r.mu.Unlock()
	r.wg.Wait()
	return err
}

func (r *Relay) track(c net.Conn) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		c.Close()
		return false
	}
	r.conns[c] = struct{}{}
	return true
}

func (r *Relay) untrack(c net.Conn) {
	r.mu.Lock()
	delete(r.conns, c)
	r.mu.Unlock()
	c.Close()
}

func (r *Relay) serve() {
	for {
		c, err := r.ln.Accept()
		if err != nil {
			return
		}
		if !r.track(c) {
			return
		}
		r.wg.Add(1)
		go func() {
			defer r.wg.Done()
			defer r.untrack(c)
			s, err := net.Dial("tcp", r.to)
			if err != nil || !r.track(s) {
				return
			}
			defer r.untrack(s)
			switch {
			case r.faults.any():
				r.mangle(c, s)
			case r.faults.Delay > 0:
				delayPipe(c, s, r.faults.Delay)
			default:
				pipe(c, s)
			}
		}()
	}
}

// pipe copies both ways until both directions ended.
func pipe(a, b net.Conn) {
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		copyHalf(b, a)
	}()
	copyHalf(a, b)
	wg.Wait()
}

// copyHalf copies src to dst, then half-closes dst (or closes both).
func copyHalf(dst, src net.Conn) {
	_, _ = io.Copy(dst, src)
	if tc, ok := dst.(*net.TCPConn); ok {
		_ = tc.CloseWrite()
	} else {
		dst.Close()
	}
	src.Close()
}

// mangle relays client c to server s, injecting faults towards the client.
func (r *Relay) mangle(c, s net.Conn) {
	// The CONNECT tells the protocol level, without which a PUBLISH
	// payload cannot be found.
	fr := newFrameReader(c, ioBufSize)
	_, frame, _, err := fr.next()
	if err != nil {
		return
	}
	version := packet.V311
	if p, _, err := packet.Decode(frame, 0); err == nil {
		if cp, ok := p.(*packet.Connect); ok {
			version = cp.ProtocolVersion
		}
	}
	if _, err := s.Write(frame); err != nil {
		return
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		m := &mangler{r: r, w: bufio.NewWriterSize(c, ioBufSize), version: version}
		m.run(s)
		c.Close()
	}()
	_, _ = fr.br.Discard(fr.skip)
	fr.skip = 0
	_, _ = fr.br.WriteTo(s)
	s.Close()
	wg.Wait()
}

// mangler damages the packets of one server → client stream.
type mangler struct {
	r       *Relay
	version byte

	mu      sync.Mutex // guards what follows; the hold timer runs concurrently
	w       *bufio.Writer
	n       int64  // benchmark PUBLISH packets seen
	held    []byte // a packet being swapped with the next
	heldPub int64  // its publisher
	gen     int    // identifies the held packet for its timer
}

func (m *mangler) run(s net.Conn) {
	fr := newFrameReader(s, ioBufSize)
	for {
		b0, frame, hl, err := fr.next()
		m.mu.Lock()
		if err != nil {
			m.release()
			_ = m.w.Flush()
			m.mu.Unlock()
			return
		}
		if packet.Type(b0>>4) == packet.TypePublish && !isProbe(frame, hl, m.version) {
			m.n++
			m.publish(frame, hl)
		} else {
			_, _ = m.w.Write(frame)
		}
		if fr.buffered() == 0 {
			_ = m.w.Flush()
		}
		m.mu.Unlock()
	}
}

// publish handles one benchmark PUBLISH; m.mu is held.
func (m *mangler) publish(frame []byte, hl int) {
	f := m.r.faults.of(m.n)
	pub := publisherOf(frame, hl, m.version)
	if m.held != nil {
		if f == pass && pub == m.heldPub {
			_, _ = m.w.Write(frame)
			m.release()
			m.r.reordered.Add(1)
			return
		}
		m.release()
	}
	switch f {
	case drop:
		m.r.dropped.Add(1)
	case dup:
		_, _ = m.w.Write(frame)
		_, _ = m.w.Write(frame)
		m.r.duplicated.Add(1)
	case corrupt:
		_, _ = m.w.Write(frame[:len(frame)-1])
		_ = m.w.WriteByte(^frame[len(frame)-1])
		m.r.corrupted.Add(1)
	case swap:
		m.held, m.heldPub = append([]byte(nil), frame...), pub
		m.gen++
		gen := m.gen
		time.AfterFunc(20*time.Millisecond, func() {
			m.mu.Lock()
			defer m.mu.Unlock()
			if m.held != nil && m.gen == gen {
				m.release()
				_ = m.w.Flush()
			}
		})
	default:
		_, _ = m.w.Write(frame)
	}
}

// release writes the held packet, if any; m.mu is held.
func (m *mangler) release() {
	if m.held != nil {
		_, _ = m.w.Write(m.held)
		m.held = nil
	}
}

func isProbe(frame []byte, hl int, version byte) bool {
	return publisherOf(frame, hl, version) == ProbeID
}

// publisherOf returns the publisher id in a PUBLISH's payload header, or -1.
func publisherOf(frame []byte, hl int, version byte) int64 {
	_, _, payload, err := publishParts(frame, hl, version)
	if err != nil {
		return -1
	}
	h, ok := parseHeader(payload)
	if !ok {
		return -1
	}
	return int64(h.pub)
}
