package admin

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/hashi-broker/hashi/network"
)

// metrics serves Prometheus metrics: broker counters, queues, connections
// and bridges, collected when scraped, plus the Go runtime's.
func (s *Server) metrics() http.Handler {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}), &collector{s})
	return promhttp.HandlerFor(reg, promhttp.HandlerOpts{})
}

var (
	descPublished = prometheus.NewDesc("hashi_messages_published_total", "Messages accepted by the broker.", nil, nil)
	descDelivered = prometheus.NewDesc("hashi_messages_delivered_total", "Message copies handed to subscribers.", nil, nil)
	descDropped   = prometheus.NewDesc("hashi_messages_dropped_total", "Message copies discarded by a slow-consumer policy or limit.", nil, nil)
	descDenied    = prometheus.NewDesc("hashi_denied_total", "Operations and logins refused.", nil, nil)
	descConns     = prometheus.NewDesc("hashi_connections", "Open client connections.", []string{"protocol"}, nil)
	descQPending  = prometheus.NewDesc("hashi_queue_messages", "Messages held by a queue (pending and in flight).", []string{"queue"}, nil)
	descQCons     = prometheus.NewDesc("hashi_queue_consumers", "Consumers of a queue.", []string{"queue"}, nil)
	descQEnq      = prometheus.NewDesc("hashi_queue_enqueued_total", "Messages enqueued to a queue.", []string{"queue"}, nil)
	descQDeq      = prometheus.NewDesc("hashi_queue_dequeued_total", "Messages consumed from a queue.", []string{"queue"}, nil)
	descBrUp      = prometheus.NewDesc("hashi_bridge_up", "1 when the network bridge is up.", []string{"bridge", "remote"}, nil)
	descBrOut     = prometheus.NewDesc("hashi_bridge_forwarded_total", "Messages forwarded over a bridge.", []string{"bridge", "remote"}, nil)
	descBrIn      = prometheus.NewDesc("hashi_bridge_received_total", "Messages received over a bridge.", []string{"bridge", "remote"}, nil)
	descBrPend    = prometheus.NewDesc("hashi_bridge_backlog", "Reliable messages waiting or in flight on a bridge.", []string{"bridge", "remote"}, nil)
	descBrRTT     = prometheus.NewDesc("hashi_bridge_rtt_seconds", "Round-trip time of a bridge.", []string{"bridge", "remote"}, nil)
)

type collector struct{ s *Server }

func (c *collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descPublished, descDelivered, descDropped, descDenied, descConns,
		descQPending, descQCons, descQEnq, descQDeq, descBrUp, descBrOut, descBrIn, descBrPend, descBrRTT} {
		ch <- d
	}
}

func (c *collector) Collect(ch chan<- prometheus.Metric) {
	b := c.s.be.Core
	st := b.Stats()
	counter := func(d *prometheus.Desc, v uint64, l ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), l...)
	}
	gauge := func(d *prometheus.Desc, v float64, l ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, l...)
	}
	counter(descPublished, st.Published.Load())
	counter(descDelivered, st.Delivered.Load())
	counter(descDropped, st.Dropped.Load())
	counter(descDenied, st.Denied.Load())
	byProto := map[string]int{"mqtt": 0, "stomp": 0}
	for _, cn := range b.Connections() {
		byProto[cn.Protocol]++
	}
	for p, n := range byProto {
		gauge(descConns, float64(n), p)
	}
	for _, q := range b.Queues() {
		gauge(descQPending, float64(q.Pending+q.Inflight), q.Dest.Name)
		gauge(descQCons, float64(q.Consumers), q.Dest.Name)
		counter(descQEnq, q.Enqueued, q.Dest.Name)
		counter(descQDeq, q.Dequeued, q.Dest.Name)
	}
	for _, br := range c.s.be.Network.Bridges() {
		up := 0.0
		if br.State == network.Up {
			up = 1
		}
		gauge(descBrUp, up, br.Name, br.RemoteBroker)
		counter(descBrOut, br.Forwarded, br.Name, br.RemoteBroker)
		counter(descBrIn, br.Received, br.Name, br.RemoteBroker)
		gauge(descBrPend, float64(br.Pending+br.Inflight), br.Name, br.RemoteBroker)
		gauge(descBrRTT, br.RTT.Seconds(), br.Name, br.RemoteBroker)
	}
}
