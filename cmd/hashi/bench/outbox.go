package bench

import (
	"net"
	"sync"
	"time"

	"github.com/hashi-broker/hashi/broker/transport/rawio"
)

// outbox batches writes from several goroutines to one connection: writers
// append to a buffer under a mutex and one writer goroutine sends whatever
// accumulated in one system call, swapping two buffers. So a connection's
// reader never waits for its writes, and a fast publisher gets large
// batches without any flush logic. Writers that ask to wait do so while
// more than limit bytes are pending, which pushes back instead of growing
// memory.
//
// The sink's outboxes (newInlineOutbox) also write at once at light load,
// as the broker does: a write that finds nothing pending, nothing being
// written and no write for quietGap goes out on the caller's goroutine, by
// one system call that never waits (rawio.TryWriter); handing a lone
// message to the writer goroutine would put a goroutine switch in the floor
// that the sink measures. Under load the writer goroutine batches (without
// the quiet gap, a 1→8 QoS 1 fan-out fell from 5.4 million msgs/s to
// 0.1 million: a system call per message and subscriber). The
// generator's own clients do not: their QoS 1 latency against Hashi was
// 10 to 15 µs worse with it (p50, paired runs), and it is the same
// generator for every broker.
type outbox struct {
	c     net.Conn
	tw    rawio.TryWriter // c, where writes at light load go out at once (newInlineOutbox)
	limit int

	mu      sync.Mutex
	cond    sync.Cond
	buf     []byte
	mark    int       // len(buf) when begin returned it
	writing bool      // a write call is under way (the writer's or a caller's)
	wrote   time.Time // when the last write call returned
	err     error     // set once closed or a write failed; no more appends
	drain   bool      // closed by close(true): write what is pending, then stop

	kick chan struct{}
	done chan struct{} // closed when the writer goroutine has ended
}

func newOutbox(c net.Conn, limit int) *outbox {
	o := &outbox{c: c, limit: limit, kick: make(chan struct{}, 1), done: make(chan struct{})}
	o.cond.L = &o.mu
	go o.loop()
	return o
}

// quietGap is how long an outbox must not have written for a write to go
// out at once, as for the broker's MQTT connections.
const quietGap = 100 * time.Microsecond

// newInlineOutbox is newOutbox for the sink: writes at light load go out at
// once where c is a rawio.TryWriter.
func newInlineOutbox(c net.Conn, limit int) *outbox {
	o := newOutbox(c, limit)
	o.tw, _ = c.(rawio.TryWriter)
	return o
}

// begin locks the outbox and returns its buffer to append to, first waiting
// for room when wait is set. On success the caller must call end with the
// extended buffer.
func (o *outbox) begin(wait bool) ([]byte, error) {
	o.mu.Lock()
	for wait && len(o.buf) >= o.limit && o.err == nil {
		o.cond.Wait()
	}
	if o.err != nil {
		err := o.err
		o.mu.Unlock()
		return nil, err
	}
	o.mark = len(o.buf)
	return o.buf, nil
}

// end stores the buffer begin returned, extended, unlocks and wakes the
// writer; or, when what was appended is all that is pending and nothing is
// being written, writes it itself (see outbox).
func (o *outbox) end(b []byte) {
	if o.tw == nil || o.writing || o.mark > 0 || time.Since(o.wrote) < quietGap {
		o.buf = b
		o.mu.Unlock()
		o.wake()
		return
	}
	o.buf, o.writing = nil, true
	o.mu.Unlock()
	n, err := o.tw.TryWrite(b)
	o.mu.Lock()
	o.writing, o.wrote = false, time.Now()
	switch {
	case err != nil:
	case n < len(b):
		o.buf = append(b[n:], o.buf...) // ahead of what was appended meanwhile
	case len(o.buf) == 0:
		o.buf = b[:0]
	}
	o.cond.Broadcast()
	pending := len(o.buf) > 0
	o.mu.Unlock()
	if err != nil {
		o.fail(err)
	} else if pending {
		o.wake()
	}
}

// wake tells the writer goroutine that something is pending.
func (o *outbox) wake() {
	select {
	case o.kick <- struct{}{}:
	default:
	}
}

// write appends the byte slices (copied).
func (o *outbox) write(wait bool, p ...[]byte) error {
	b, err := o.begin(wait)
	if err != nil {
		return err
	}
	for _, x := range p {
		b = append(b, x...)
	}
	o.end(b)
	return nil
}

// pending returns the bytes not yet handed to the connection.
func (o *outbox) pending() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return len(o.buf)
}

func (o *outbox) loop() {
	defer close(o.done)
	var spare []byte
	for range o.kick {
		o.mu.Lock()
		for o.writing {
			o.cond.Wait() // a caller's write (end); it wakes us again if it left bytes
		}
		b := o.buf
		o.buf = spare[:0]
		err, drain := o.err, o.drain
		o.writing = len(b) > 0
		o.cond.Broadcast()
		o.mu.Unlock()
		if err != nil && !drain {
			return
		}
		if len(b) > 0 {
			_, werr := o.c.Write(b)
			o.mu.Lock()
			o.writing, o.wrote = false, time.Now()
			o.mu.Unlock()
			if werr != nil {
				o.fail(werr)
				return
			}
		}
		if err != nil {
			return
		}
		spare = b
	}
}

func (o *outbox) fail(err error) {
	o.mu.Lock()
	if o.err == nil {
		o.err = err
	}
	o.cond.Broadcast()
	o.mu.Unlock()
}

// close stops the outbox: with drain, what is pending is still written
// (within a second); it waits for the writer goroutine. It does not close
// the connection.
func (o *outbox) close(drain bool) {
	o.mu.Lock()
	if o.err == nil {
		o.err, o.drain = net.ErrClosed, drain
	}
	o.cond.Broadcast()
	o.mu.Unlock()
	if drain {
		_ = o.c.SetWriteDeadline(time.Now().Add(time.Second))
	}
	o.wake()
	<-o.done
}
