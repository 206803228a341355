package bench

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	stompframe "github.com/go-stomp/stomp/v3/frame"

	"github.com/hashi-broker/hashi/broker/stomp/frame"
)

const stompVersion = "1.2"

// stompConn is one STOMP 1.2 client connection of the generator, built like
// mqttConn: one reader goroutine that never writes, and an outbox.
type stompConn struct {
	c   net.Conn
	r   *frame.Reader
	out *outbox

	send *stompframe.Frame // reused SEND frame; publishing goroutine only
	ack  *stompframe.Frame // reused ACK frame; reader goroutine only

	window   chan struct{} // a token per outstanding receipt
	receipts uint64
	acked    atomic.Int64

	clientAck bool                 // ACK every MESSAGE (client-individual)
	onMessage func(payload []byte) // called by the reader goroutine

	closing atomic.Bool
	done    chan struct{}
	err     error
	wg      sync.WaitGroup
}

func dialSTOMP(ctx context.Context, d *dialer, ep Endpoint, cfg *Config, bufSize int) (*stompConn, error) {
	c, err := d.dial(ctx, ep)
	if err != nil {
		return nil, err
	}
	s := &stompConn{
		c: c, r: frame.NewReader(c, bufSize), out: newOutbox(c, outboxPending),
		window: make(chan struct{}, cfg.Inflight), done: make(chan struct{}),
		send: stompframe.New(stompframe.SEND, stompframe.Destination, "", stompframe.ContentLength, "0"),
		ack:  stompframe.New(stompframe.ACK, stompframe.Id, ""),
	}
	_ = c.SetReadDeadline(time.Now().Add(15 * time.Second))
	cf := stompframe.New(stompframe.CONNECT, stompframe.AcceptVersion, stompVersion, stompframe.Host, ep.Host, stompframe.HeartBeat, "0,0")
	if cfg.Username != "" {
		cf.Header.Add(stompframe.Login, cfg.Username)
		cf.Header.Add(stompframe.Passcode, cfg.Password)
	}
	err = s.writeFrame(cf, false)
	var f *stompframe.Frame
	for err == nil && f == nil {
		f, err = s.r.Read()
	}
	if err == nil && f.Command != stompframe.CONNECTED {
		err = fmt.Errorf("connection refused: %s %s", f.Header.Get(stompframe.Message), f.Body)
	}
	if err != nil {
		s.out.close(false)
		c.Close()
		return nil, fmt.Errorf("STOMP connect to %s: %w", ep.Addr, err)
	}
	s.r.Version = stompVersion
	// Nothing keeps a frame or a body past handling it (the tracker
	// checks a payload when it arrives), so frames and small bodies are
	// read into the same memory.
	s.r.ReuseFrame, s.r.ReuseBody = true, true
	_ = c.SetReadDeadline(time.Time{})
	return s, nil
}

func (s *stompConn) writeFrame(f *stompframe.Frame, wait bool) error {
	b, err := s.out.begin(wait)
	if err != nil {
		return err
	}
	s.out.end(frame.Append(b, f, stompVersion))
	return nil
}

// subscribe subscribes and waits for the receipt; only before start.
// Messages that arrive first go to onMessage.
func (s *stompConn) subscribe(dest string, clientAck bool, prefetch int) error {
	s.clientAck = clientAck
	mode := stompframe.AckAuto
	if clientAck {
		mode = stompframe.AckClientIndividual
	}
	_ = s.c.SetReadDeadline(time.Now().Add(15 * time.Second))
	defer s.c.SetReadDeadline(time.Time{})
	err := s.writeFrame(stompframe.New(stompframe.SUBSCRIBE, stompframe.Id, "0", stompframe.Destination, dest,
		stompframe.Ack, mode, "activemq.prefetchSize", strconv.Itoa(prefetch), stompframe.Receipt, "sub-0"), false)
	for err == nil {
		var f *stompframe.Frame
		if f, err = s.r.Read(); err != nil || f == nil {
			continue
		}
		switch f.Command {
		case stompframe.RECEIPT:
			return nil
		case stompframe.MESSAGE:
			s.handleMessage(f)
		case stompframe.ERROR:
			err = fmt.Errorf("broker ERROR: %s %s", f.Header.Get(stompframe.Message), f.Body)
		}
	}
	return fmt.Errorf("STOMP subscribe to %s: %w", dest, err)
}

func (s *stompConn) start() {
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		s.readLoop()
	}()
}

func (s *stompConn) readLoop() {
	defer close(s.done)
	for {
		f, err := s.r.Read()
		if err != nil {
			s.err = err
			return
		}
		if f == nil {
			continue // heart-beat
		}
		switch f.Command {
		case stompframe.MESSAGE:
			s.handleMessage(f)
		case stompframe.RECEIPT:
			s.acked.Add(1)
			<-s.window
		case stompframe.ERROR:
			s.err = fmt.Errorf("broker ERROR: %s %s", f.Header.Get(stompframe.Message), f.Body)
			return
		}
	}
}

func (s *stompConn) handleMessage(f *stompframe.Frame) {
	if s.onMessage != nil {
		s.onMessage(f.Body)
	}
	if s.clientAck {
		s.ack.Header.Set(stompframe.Id, f.Header.Get(stompframe.Ack))
		_ = s.writeFrame(s.ack, false)
	}
}

// publish queues one SEND, with a receipt request when receipt is set
// (then first waiting for a free slot in the window). One goroutine only.
func (s *stompConn) publish(dest string, payload []byte, receipt bool) error {
	if receipt {
		select {
		case s.window <- struct{}{}:
		case <-s.done:
			return s.deadErr()
		}
	}
	s.send.Header.Set(stompframe.Destination, dest)
	if receipt {
		s.receipts++
		s.send.Header.Set(stompframe.Receipt, strconv.FormatUint(s.receipts, 10))
	} else {
		s.send.Header.Del(stompframe.Receipt)
	}
	s.send.Body = payload
	err := s.writeFrame(s.send, true)
	s.send.Body = nil
	return err
}

func (s *stompConn) deadErr() error {
	if s.err != nil {
		return fmt.Errorf("connection lost: %w", s.err)
	}
	return fmt.Errorf("connection lost")
}

func (s *stompConn) close() {
	if s.closing.Swap(true) {
		return
	}
	_ = s.writeFrame(stompframe.New(stompframe.DISCONNECT), false)
	s.out.close(true)
	s.c.Close()
	s.wg.Wait()
}

func (s *stompConn) failure() error {
	select {
	case <-s.done:
		if s.closing.Load() {
			return nil
		}
		return s.deadErr()
	default:
		return nil
	}
}
