package bench

import (
	"context"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashi-broker/hashi/broker/mqtt/packet"
)

// mqttConn is one MQTT client connection of the generator: a frame reader
// run by one reader goroutine, which never writes (acknowledgements are
// queued), and an outbox whose goroutine does all the writing in batches.
type mqttConn struct {
	c       net.Conn
	fr      frameReader
	version byte
	out     *outbox

	// Publishing side: window holds a token per unacknowledged QoS 1/2
	// message, used marks the packet ids in flight.
	window chan struct{}
	used   []atomic.Bool
	nextID uint16
	acked  atomic.Int64
	nacked atomic.Int64 // MQTT 5 acknowledgements with a failure reason code

	onPublish func(payload []byte) // called by the reader goroutine

	closing atomic.Bool
	done    chan struct{} // closed when the reader goroutine ends
	err     error         // why it ended; read after done
	wg      sync.WaitGroup
}

// outboxPending bounds what a publisher queues before it waits.
const outboxPending = 256 << 10

// dialMQTT connects and completes CONNECT/CONNACK; the reader goroutine is
// not started yet (see start).
func dialMQTT(ctx context.Context, d *dialer, ep Endpoint, cfg *Config, clientID string, bufSize int) (*mqttConn, error) {
	c, err := d.dial(ctx, ep)
	if err != nil {
		return nil, err
	}
	m := &mqttConn{c: c, fr: newFrameReader(c, bufSize), out: newOutbox(c, outboxPending), version: cfg.MQTTVersion, done: make(chan struct{})}
	if dl, ok := ctx.Deadline(); ok {
		_ = c.SetReadDeadline(dl)
	} else {
		_ = c.SetReadDeadline(time.Now().Add(15 * time.Second))
	}
	cp := &packet.Connect{ClientID: clientID, CleanStart: true, KeepAlive: uint16(cfg.KeepAlive / time.Second)}
	if cfg.Username != "" {
		cp.UsernameFlag, cp.Username = true, cfg.Username
		if cfg.Password != "" {
			cp.PasswordFlag, cp.Password = true, []byte(cfg.Password)
		}
	}
	window := cfg.Inflight
	err = m.writePacket(cp)
	if err == nil {
		var p packet.Packet
		if p, err = m.readPacket(); err == nil {
			ack, ok := p.(*packet.Connack)
			switch {
			case !ok:
				err = fmt.Errorf("%w: expected CONNACK, got %v", ErrProtocol, p.Type())
			case ack.ReasonCode != packet.Success:
				err = fmt.Errorf("connection refused: %v", ack.ReasonCode)
			case ack.Properties.Has(packet.PropReceiveMaximum) && int(ack.Properties.ReceiveMaximum) < window:
				window = int(ack.Properties.ReceiveMaximum)
			}
		}
	}
	if err != nil {
		m.out.close(false)
		c.Close()
		return nil, fmt.Errorf("MQTT connect to %s: %w", ep.Addr, err)
	}
	_ = c.SetReadDeadline(time.Time{})
	m.window = make(chan struct{}, window)
	return m, nil
}

func (m *mqttConn) writePacket(p packet.Packet) error {
	b, err := m.out.begin(false)
	if err != nil {
		return err
	}
	b, err = packet.Append(b, p, m.version)
	m.out.end(b) // Append returns dst unchanged on error
	return err
}

// readPacket decodes the next packet; only before start.
func (m *mqttConn) readPacket() (packet.Packet, error) {
	_, frame, _, err := m.fr.next()
	if err != nil {
		return nil, err
	}
	p, _, err := packet.Decode(frame, m.version)
	return p, err
}

// subscribe sends SUBSCRIBE and waits for its SUBACK; only before start.
func (m *mqttConn) subscribe(topic string, qos byte) error {
	_ = m.c.SetReadDeadline(time.Now().Add(15 * time.Second))
	defer m.c.SetReadDeadline(time.Time{})
	err := m.writePacket(&packet.Subscribe{PacketID: 1, Subscriptions: []packet.Subscription{{Filter: topic, QoS: qos}}})
	for err == nil {
		var p packet.Packet
		if p, err = m.readPacket(); err != nil {
			break
		}
		if sa, ok := p.(*packet.Suback); ok {
			if len(sa.ReasonCodes) != 1 || sa.ReasonCodes[0] >= 0x80 {
				return fmt.Errorf("subscription to %q refused: %v", topic, sa.ReasonCodes)
			}
			return nil
		}
	}
	return fmt.Errorf("MQTT subscribe: %w", err)
}

// start runs the reader goroutine and a pinger at half the keep-alive.
func (m *mqttConn) start(keepAlive time.Duration) {
	m.wg.Add(2)
	go func() {
		defer m.wg.Done()
		m.readLoop()
	}()
	go func() {
		defer m.wg.Done()
		t := time.NewTicker(keepAlive / 2)
		defer t.Stop()
		for {
			select {
			case <-m.done:
				return
			case <-t.C:
				_ = m.out.write(false, []byte{byte(packet.TypePingreq) << 4, 0})
			}
		}
	}()
}

func (m *mqttConn) readLoop() {
	defer close(m.done)
	for {
		b0, frame, hl, err := m.fr.next()
		if err != nil {
			m.err = err
			return
		}
		switch packet.Type(b0 >> 4) {
		case packet.TypePublish:
			qos, pid, payload, err := publishParts(frame, hl, m.version)
			if err != nil {
				m.err = err
				return
			}
			if m.onPublish != nil {
				m.onPublish(payload)
			}
			switch qos {
			case 1:
				m.queueAck(byte(packet.TypePuback)<<4, pid)
			case 2:
				m.queueAck(byte(packet.TypePubrec)<<4, pid)
			}
		case packet.TypePuback, packet.TypePubcomp:
			pid, code, err := ackParts(frame, hl)
			if err != nil {
				m.err = err
				return
			}
			if code >= 0x80 {
				m.nacked.Add(1)
			}
			m.release(pid)
		case packet.TypePubrec:
			pid, code, err := ackParts(frame, hl)
			if err != nil {
				m.err = err
				return
			}
			if code >= 0x80 { // the exchange ends here [MQTT-4.3.3]
				m.nacked.Add(1)
				m.release(pid)
				break
			}
			m.queueAck(byte(packet.TypePubrel)<<4|2, pid)
		case packet.TypePubrel:
			pid, _, err := ackParts(frame, hl)
			if err != nil {
				m.err = err
				return
			}
			m.queueAck(byte(packet.TypePubcomp)<<4, pid)
		case packet.TypeDisconnect:
			p, _, _ := packet.Decode(frame, m.version)
			m.err = fmt.Errorf("broker sent DISCONNECT %+v", p)
			return
		case packet.TypePingresp, packet.TypeSuback, packet.TypeUnsuback:
		default:
			m.err = fmt.Errorf("%w: unexpected %v", ErrProtocol, packet.Type(b0>>4))
			return
		}
	}
}

// queueAck queues a two-byte-id acknowledgement without waiting.
func (m *mqttConn) queueAck(b0 byte, pid uint16) {
	if b, err := m.out.begin(false); err == nil {
		m.out.end(append(b, b0, 2, byte(pid>>8), byte(pid)))
	}
}

func (m *mqttConn) release(pid uint16) {
	if m.used == nil || !m.used[pid].CompareAndSwap(true, false) {
		return // not ours (or a duplicate acknowledgement)
	}
	m.acked.Add(1)
	<-m.window
}

// publish queues one PUBLISH, first waiting for a free slot in the window
// for QoS > 0. Only one goroutine may publish on a connection.
func (m *mqttConn) publish(topic string, payload []byte, qos byte) error {
	var pid uint16
	if qos > 0 {
		select {
		case m.window <- struct{}{}:
		case <-m.done:
			return m.deadErr()
		}
		if m.used == nil {
			m.used = make([]atomic.Bool, 65536)
		}
		for {
			m.nextID++
			if m.nextID != 0 && m.used[m.nextID].CompareAndSwap(false, true) {
				break
			}
		}
		pid = m.nextID
	}
	b, err := m.out.begin(true)
	if err != nil {
		return err
	}
	b, err = packet.AppendPublish(b, m.version, topic, payload, qos, false, false, pid, nil)
	m.out.end(b)
	return err
}

func (m *mqttConn) deadErr() error {
	if m.err != nil {
		return fmt.Errorf("connection lost: %w", m.err)
	}
	return fmt.Errorf("connection lost")
}

// close sends DISCONNECT after what is queued, closes the socket and waits
// for the goroutines.
func (m *mqttConn) close() {
	if m.closing.Swap(true) {
		return
	}
	_ = m.out.write(false, []byte{byte(packet.TypeDisconnect) << 4, 0})
	m.out.close(true)
	m.c.Close()
	m.wg.Wait()
}

// failure is why the connection ended on its own (nil while it runs or
// after close).
func (m *mqttConn) failure() error {
	select {
	case <-m.done:
		if m.closing.Load() {
			return nil
		}
		return m.deadErr()
	default:
		return nil
	}
}
