package admin

import (
	"net/http"
	"strings"
	"time"

	"github.com/hashi-broker/hashi/broker"
)

// jolokia answers Jolokia "read" requests for the broker MBean, so existing
// monitoring scripts that poll ActiveMQ keep working:
//
//	GET /api/jolokia/read/org.apache.activemq:type=Broker,brokerName=NAME[/Attribute]
func (s *Server) jolokia(w http.ResponseWriter, r *http.Request, _ *who) {
	path := r.PathValue("path")
	mbean, attr, _ := strings.Cut(path, "/")
	req := map[string]any{"type": "read", "mbean": mbean}
	if attr != "" {
		req["attribute"] = attr
	}
	b := s.be.Core
	props, ok := parseMBean(mbean)
	if !ok || props["type"] != "Broker" || (props["brokerName"] != b.Name() && props["brokerName"] != "*") || len(props) != 2 {
		writeJSON(w, http.StatusOK, map[string]any{
			"request": req, "status": 404, "error_type": "javax.management.InstanceNotFoundException",
			"error": "javax.management.InstanceNotFoundException : " + mbean,
		})
		return
	}
	values := s.brokerAttributes()
	var value any = values
	if attr != "" {
		v, ok := values[attr]
		if !ok {
			writeJSON(w, http.StatusOK, map[string]any{
				"request": req, "status": 404, "error_type": "javax.management.AttributeNotFoundException",
				"error": "javax.management.AttributeNotFoundException : No such attribute: " + attr,
			})
			return
		}
		value = v
	}
	writeJSON(w, http.StatusOK, map[string]any{"request": req, "value": value, "timestamp": time.Now().Unix(), "status": 200})
}

// parseMBean splits "org.apache.activemq:type=Broker,brokerName=x".
func parseMBean(s string) (map[string]string, bool) {
	domain, rest, ok := strings.Cut(s, ":")
	if !ok || domain != "org.apache.activemq" {
		return nil, false
	}
	props := map[string]string{}
	for _, kv := range strings.Split(rest, ",") {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return nil, false
		}
		props[k] = v
	}
	return props, true
}

// brokerAttributes are the ActiveMQ broker MBean attributes monitoring
// scripts poll most.
func (s *Server) brokerAttributes() map[string]any {
	b := s.be.Core
	st := b.Stats()
	qs := b.Queues()
	var consumers, pending int
	var enq, deq uint64
	var bytes int64
	queueNames := []map[string]string{}
	for _, q := range qs {
		consumers += q.Consumers
		pending += q.Pending + q.Inflight
		enq += q.Enqueued
		deq += q.Dequeued
		bytes += q.Bytes
		queueNames = append(queueNames, map[string]string{"objectName": "org.apache.activemq:type=Broker,brokerName=" + b.Name() + ",destinationType=Queue,destinationName=" + q.Dest.Name})
	}
	topicNames := []map[string]string{}
	for _, t := range b.Topics() {
		topicNames = append(topicNames, map[string]string{"objectName": "org.apache.activemq:type=Broker,brokerName=" + b.Name() + ",destinationType=Topic,destinationName=" + t.Name})
	}
	limit := s.be.Config().Broker.SystemUsage.MemoryLimit
	memPct := 0
	if limit > 0 {
		memPct = int(bytes * 100 / limit)
	}
	up := time.Since(b.Started())
	return map[string]any{
		"BrokerName":              b.Name(),
		"BrokerId":                b.ID(),
		"BrokerVersion":           s.be.Version,
		"Uptime":                  up.Round(time.Second).String(),
		"UptimeMillis":            up.Milliseconds(),
		"TotalConsumerCount":      consumers + countTopicSubs(b),
		"TotalProducerCount":      0,
		"TotalEnqueueCount":       st.Published.Load(),
		"TotalDequeueCount":       st.Delivered.Load() + deq,
		"TotalMessageCount":       pending,
		"TotalConnectionsCount":   len(b.Connections()),
		"CurrentConnectionsCount": len(b.Connections()),
		"MemoryPercentUsage":      memPct,
		"MemoryLimit":             limit,
		"StorePercentUsage":       0,
		"TempPercentUsage":        0,
		"Queues":                  queueNames,
		"Topics":                  topicNames,
	}
}

func countTopicSubs(b *broker.Broker) int {
	n := 0
	b.TopicSubscriptions(func(*broker.Subscription) { n++ })
	return n
}
