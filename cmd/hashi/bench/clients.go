package bench

import (
	"context"
	"fmt"
	"strings"
)

// publisher is one publishing connection, MQTT or STOMP.
type publisher interface {
	publish(payload []byte) error // waits while the acknowledgement window is full
	probe(payload []byte) error   // a warm-up probe: QoS 0, no receipt
	acked() int64
	nacked() int64
	failure() error
	close()
}

// subscriber is one receiving connection; its handler runs on the
// connection's reader goroutine.
type subscriber interface {
	failure() error
	close()
}

const ioBufSize = 64 << 10

// destination returns the STOMP destination for the configured topic.
func destination(cfg *Config) string {
	kind := "/topic/"
	if cfg.Scenario == Queue {
		kind = "/queue/"
	}
	return kind + strings.ReplaceAll(cfg.Topic, "/", ".")
}

func openPublisher(ctx context.Context, d *dialer, ep Endpoint, cfg *Config, i int) (publisher, error) {
	switch ep.Proto {
	case "mqtt":
		m, err := dialMQTT(ctx, d, ep, cfg, fmt.Sprintf("hb-%s-p%d", clientSuffix(cfg), i), ioBufSize)
		if err != nil {
			return nil, err
		}
		m.start(cfg.KeepAlive)
		return &mqttPublisher{m: m, topic: cfg.Topic, qos: cfg.QoS}, nil
	case "stomp":
		s, err := dialSTOMP(ctx, d, ep, cfg, ioBufSize)
		if err != nil {
			return nil, err
		}
		s.start()
		return &stompPublisher{s: s, dest: destination(cfg), receipts: cfg.QoS > 0}, nil
	}
	return nil, fmt.Errorf("%w: protocol %q", ErrConfig, ep.Proto)
}

func openSubscriber(ctx context.Context, d *dialer, ep Endpoint, cfg *Config, i int, handler func([]byte)) (subscriber, error) {
	switch ep.Proto {
	case "mqtt":
		m, err := dialMQTT(ctx, d, ep, cfg, fmt.Sprintf("hb-%s-s%d", clientSuffix(cfg), i), ioBufSize)
		if err != nil {
			return nil, err
		}
		m.onPublish = handler
		if err := m.subscribe(cfg.Topic, cfg.QoS); err != nil {
			m.close()
			return nil, err
		}
		m.start(cfg.KeepAlive)
		return m, nil
	case "stomp":
		s, err := dialSTOMP(ctx, d, ep, cfg, ioBufSize)
		if err != nil {
			return nil, err
		}
		s.onMessage = handler
		if err := s.subscribe(destination(cfg), cfg.QoS > 0, cfg.Inflight); err != nil {
			s.close()
			return nil, err
		}
		s.start()
		return s, nil
	}
	return nil, fmt.Errorf("%w: protocol %q", ErrConfig, ep.Proto)
}

// clientSuffix keeps client ids unique per run (the topic ends with the
// run's random id unless the user chose one).
func clientSuffix(cfg *Config) string {
	t := cfg.Topic
	if i := strings.LastIndexByte(t, '/'); i >= 0 {
		t = t[i+1:]
	}
	if len(t) > 12 {
		t = t[len(t)-12:]
	}
	return t + "-" + randomID()[:4]
}

type mqttPublisher struct {
	m     *mqttConn
	topic string
	qos   byte
}

func (p *mqttPublisher) publish(b []byte) error { return p.m.publish(p.topic, b, p.qos) }
func (p *mqttPublisher) probe(b []byte) error   { return p.m.publish(p.topic, b, 0) }
func (p *mqttPublisher) acked() int64           { return p.m.acked.Load() }
func (p *mqttPublisher) nacked() int64          { return p.m.nacked.Load() }
func (p *mqttPublisher) failure() error         { return p.m.failure() }
func (p *mqttPublisher) close()                 { p.m.close() }

type stompPublisher struct {
	s        *stompConn
	dest     string
	receipts bool
}

func (p *stompPublisher) publish(b []byte) error { return p.s.publish(p.dest, b, p.receipts) }
func (p *stompPublisher) probe(b []byte) error   { return p.s.publish(p.dest, b, false) }
func (p *stompPublisher) acked() int64           { return p.s.acked.Load() }
func (p *stompPublisher) nacked() int64          { return 0 }
func (p *stompPublisher) failure() error         { return p.s.failure() }
func (p *stompPublisher) close()                 { p.s.close() }
