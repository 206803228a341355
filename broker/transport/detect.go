package transport

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/hashi-broker/hashi/config"
)

// ErrOpenWire is reported when an OpenWire (JMS) client reaches an
// auto-detecting listener: Hashi does not speak OpenWire.
var ErrOpenWire = errors.New("OpenWire client: Hashi speaks MQTT and STOMP (and MQTT/STOMP over WebSocket), not OpenWire; point the client at an mqtt:// or stomp:// connector")

// peekConn replays bytes read during detection before reading the socket.
type peekConn struct {
	net.Conn
	r *bufio.Reader
}

func (c *peekConn) Read(p []byte) (int, error) { return c.r.Read(p) }

// NetConn returns the connection underneath, as tls.Conn.NetConn does.
func (c *peekConn) NetConn() net.Conn { return c.Conn }

// detect sniffs the first bytes of c: MQTT starts with a CONNECT fixed header
// (0x10), STOMP with "CONNECT" or "STOMP" (after optional heart-beat EOLs),
// OpenWire with a WireFormatInfo carrying the "ActiveMQ" magic, AMQP with "AMQP".
func detect(c net.Conn) (config.Protocol, net.Conn, error) {
	r := bufio.NewReaderSize(c, 4096)
	c.SetReadDeadline(time.Now().Add(DetectTimeout))
	defer c.SetReadDeadline(time.Time{})
	pc := &peekConn{Conn: c, r: r}
	for n := 1; n <= 16; n++ {
		b, err := r.Peek(n)
		if err != nil {
			return "", pc, fmt.Errorf("reading first bytes: %w", err)
		}
		p, done, err := classify(b)
		if err != nil {
			return "", pc, err
		}
		if done {
			return p, pc, nil
		}
	}
	b, _ := r.Peek(16)
	return "", pc, fmt.Errorf("unknown protocol, first bytes %q", b)
}

// classify decides from a prefix; done=false asks for more bytes.
func classify(b []byte) (p config.Protocol, done bool, err error) {
	if b[0] == 0x10 {
		return config.ProtoMQTT, true, nil
	}
	t := bytes.TrimLeft(b, "\r\n")
	if len(t) == 0 {
		return "", false, nil
	}
	for _, w := range [][]byte{[]byte("CONNECT"), []byte("STOMP")} {
		if len(t) >= len(w) {
			if bytes.HasPrefix(t, w) {
				return config.ProtoSTOMP, true, nil
			}
			continue
		}
		if bytes.HasPrefix(w, t) {
			return "", false, nil
		}
	}
	if bytes.HasPrefix(b, []byte("AMQP")) {
		return "", true, errors.New("AMQP client: Hashi does not speak AMQP")
	}
	if len(b) >= 13 && bytes.Equal(b[5:13], []byte("ActiveMQ")) {
		return "", true, ErrOpenWire
	}
	if len(b) < 13 && b[0] == 0 {
		return "", false, nil // maybe an OpenWire length prefix
	}
	if bytes.HasPrefix(b, []byte("GET ")) {
		return "", true, errors.New("HTTP request on a MQTT/STOMP port (WebSocket clients use a ws:// connector)")
	}
	if len(b) >= 8 {
		return "", true, fmt.Errorf("unknown protocol, first bytes %q", b)
	}
	return "", false, nil
}
