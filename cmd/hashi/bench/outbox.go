package bench

import (
	"net"
	"sync"
	"time"
)

// outbox batches writes from several goroutines to one connection: writers
// append to a buffer under a mutex and one writer goroutine sends whatever
// accumulated in one system call, swapping two buffers. So a connection's
// reader never waits for its writes (acknowledgements are queued, never
// written inline), and a fast publisher gets large batches without any
// flush logic. Writers that ask to wait do so while more than limit bytes
// are pending, which pushes back instead of growing memory.
type outbox struct {
	c     net.Conn
	limit int

	mu    sync.Mutex
	cond  sync.Cond
	buf   []byte
	err   error // set once closed or a write failed; no more appends
	drain bool  // closed by close(true): write what is pending, then stop

	kick chan struct{}
	done chan struct{} // closed when the writer goroutine has ended
}

func newOutbox(c net.Conn, limit int) *outbox {
	o := &outbox{c: c, limit: limit, kick: make(chan struct{}, 1), done: make(chan struct{})}
	o.cond.L = &o.mu
	go o.loop()
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
	return o.buf, nil
}

// end stores the buffer begin returned, extended, unlocks and wakes the
// writer.
func (o *outbox) end(b []byte) {
	o.buf = b
	o.mu.Unlock()
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
		b := o.buf
		o.buf = spare[:0]
		err, drain := o.err, o.drain
		o.cond.Broadcast()
		o.mu.Unlock()
		if err != nil && !drain {
			return
		}
		if len(b) > 0 {
			if _, werr := o.c.Write(b); werr != nil {
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
	select {
	case o.kick <- struct{}{}:
	default:
	}
	<-o.done
}
