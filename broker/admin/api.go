package admin

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/hashi-broker/hashi/broker"
	"github.com/hashi-broker/hashi/broker/dest"
)

func (s *Server) brokerInfo(w http.ResponseWriter, _ *http.Request, _ *who) {
	b := s.be.Core
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	st := b.Stats()
	var queueBytes int64
	qs := b.Queues()
	for _, q := range qs {
		queueBytes += q.Bytes
	}
	cfg := s.be.Config()
	writeJSON(w, http.StatusOK, map[string]any{
		"name":       b.Name(),
		"id":         b.ID(),
		"version":    s.be.Version,
		"started":    b.Started(),
		"uptime":     time.Since(b.Started()).Round(time.Second).String(),
		"uptimeSecs": int64(time.Since(b.Started()).Seconds()),
		"connectors": s.be.Connectors(),
		"memory": map[string]any{
			"heapAlloc":   ms.HeapAlloc,
			"sys":         ms.Sys,
			"queueBytes":  queueBytes,
			"memoryLimit": cfg.Broker.SystemUsage.MemoryLimit,
			"goroutines":  runtime.NumGoroutine(),
		},
		"counts": map[string]any{
			"published":    st.Published.Load(),
			"delivered":    st.Delivered.Load(),
			"dropped":      st.Dropped.Load(),
			"denied":       st.Denied.Load(),
			"noSubscriber": st.NoSubscriber.Load(),
			"queues":       len(qs),
			"connections":  len(b.Connections()),
			"bridges":      len(s.be.Network.Bridges()),
		},
		"rates": nonNil(b.Rates()),
	})
}

// nonNil makes an empty list encode as [] rather than null.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func (s *Server) bridges(w http.ResponseWriter, _ *http.Request, _ *who) {
	writeJSON(w, http.StatusOK, map[string]any{"bridges": s.be.Network.Bridges()})
}

func (s *Server) network(w http.ResponseWriter, _ *http.Request, _ *who) {
	writeJSON(w, http.StatusOK, s.be.Network.Topology())
}

func (s *Server) topics(w http.ResponseWriter, _ *http.Request, _ *who) {
	writeJSON(w, http.StatusOK, map[string]any{"topics": s.be.Core.Topics()})
}

func (s *Server) queues(w http.ResponseWriter, _ *http.Request, _ *who) {
	writeJSON(w, http.StatusOK, map[string]any{"queues": s.be.Core.Queues()})
}

// checkName accepts one concrete destination name: not empty, no wildcard
// (which names several destinations), no composite list, no empty segment,
// no control character.
func checkName(name string) error {
	switch {
	case name == "":
		return errors.New("empty name")
	case dest.IsWildcard(name) || dest.ValidatePattern(name) != nil:
		return errors.New("wildcards (* and >) name several destinations, not one")
	case strings.Contains(name, ","):
		return errors.New("a composite destination (a,b) is not one destination")
	case strings.HasPrefix(name, ".") || strings.HasSuffix(name, ".") || strings.Contains(name, ".."):
		return errors.New("empty name segment")
	case strings.IndexFunc(name, unicode.IsControl) >= 0:
		return errors.New("control character in the name")
	}
	return nil
}

// queuePath reads the queue named in the path; a bad name answers 400.
func queuePath(w http.ResponseWriter, r *http.Request) (dest.Destination, bool) {
	name := r.PathValue("name")
	if err := checkName(name); err != nil {
		fail(w, http.StatusBadRequest, "invalid queue name "+strconv.Quote(name)+": "+err.Error())
		return dest.Destination{}, false
	}
	return dest.Q(name), true
}

func (s *Server) queue(w http.ResponseWriter, r *http.Request, _ *who) {
	d, ok := queuePath(w, r)
	if !ok {
		return
	}
	st, ok := s.be.Core.QueueStats(d)
	if !ok {
		fail(w, http.StatusNotFound, "no queue "+r.PathValue("name"))
		return
	}
	writeJSON(w, http.StatusOK, st)
}

func (s *Server) browse(w http.ResponseWriter, r *http.Request, _ *who) {
	limit := 100
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 10000 {
			fail(w, http.StatusBadRequest, "limit must be 1-10000")
			return
		}
		limit = n
	}
	d, ok := queuePath(w, r)
	if !ok {
		return
	}
	ms, ok := s.be.Core.Browse(d, limit)
	if !ok {
		fail(w, http.StatusNotFound, "no queue "+r.PathValue("name"))
		return
	}
	if ms == nil {
		ms = []broker.BrowsedMessage{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"messages": ms})
}

// subscriberInfo is one topic subscription for the console.
type subscriberInfo struct {
	Destination string `json:"destination"`
	Filter      string `json:"filter"`
	ClientID    string `json:"clientId"`
	Connection  uint64 `json:"connectionId"`
	QoS         byte   `json:"qos"`
	Shared      string `json:"shareGroup,omitempty"`
	Network     bool   `json:"network"`
	Durable     bool   `json:"durable"`
	Delivered   uint64 `json:"delivered"`
	Dropped     uint64 `json:"dropped"`
}

func (s *Server) subscribers(w http.ResponseWriter, _ *http.Request, _ *who) {
	subs := []subscriberInfo{}
	s.be.Core.TopicSubscriptions(func(sub *broker.Subscription) {
		subs = append(subs, subscriberInfo{
			Destination: sub.Dest.String(), Filter: sub.Filter, ClientID: sub.ClientID, Connection: sub.ConnID,
			QoS: sub.QoS, Shared: sub.Share, Network: sub.Network, Durable: sub.QoS > 0 && sub.ClientID != "" && !sub.Network,
			Delivered: sub.Delivered(), Dropped: sub.Dropped(),
		})
	})
	writeJSON(w, http.StatusOK, map[string]any{"topicSubscribers": subs, "queueConsumers": nonNil(s.be.Core.Consumers())})
}

func (s *Server) connections(w http.ResponseWriter, _ *http.Request, _ *who) {
	conns := s.be.Core.Connections()
	type row struct {
		ID        uint64    `json:"id"`
		Protocol  string    `json:"protocol"`
		Connector string    `json:"connector"`
		ClientID  string    `json:"clientId"`
		User      string    `json:"user"`
		Remote    string    `json:"remote"`
		Since     time.Time `json:"since"`
	}
	rows := make([]row, 0, len(conns))
	for _, c := range conns {
		rows = append(rows, row{c.ID, c.Protocol, c.Connector, c.ClientID, c.User, c.Remote, c.Since})
	}
	writeJSON(w, http.StatusOK, map[string]any{"connections": rows, "connectors": s.be.Connectors()})
}

func (s *Server) connectionClose(w http.ResponseWriter, r *http.Request, caller *who) {
	id, err := strconv.ParseUint(r.PathValue("id"), 10, 64)
	if err != nil {
		fail(w, http.StatusBadRequest, "connection id must be a number")
		return
	}
	for _, c := range s.be.Core.Connections() {
		if c.ID == id && c.Close != nil {
			c.Close("closed from the console by " + caller.user)
			writeJSON(w, http.StatusOK, map[string]any{"closed": id})
			return
		}
	}
	fail(w, http.StatusNotFound, "no connection "+r.PathValue("id"))
}

type queueRequest struct {
	Name string `json:"name"`
}

func (s *Server) queueCreate(w http.ResponseWriter, r *http.Request, _ *who) {
	var req queueRequest
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10)).Decode(&req); err != nil || req.Name == "" {
		fail(w, http.StatusBadRequest, "want JSON {\"name\":\"QUEUE\"}")
		return
	}
	if err := checkName(req.Name); err != nil {
		fail(w, http.StatusBadRequest, "invalid queue name "+strconv.Quote(req.Name)+": "+err.Error())
		return
	}
	s.be.Core.CreateQueue(dest.Q(req.Name))
	writeJSON(w, http.StatusCreated, map[string]any{"created": req.Name})
}

func (s *Server) queuePurge(w http.ResponseWriter, r *http.Request, _ *who) {
	d, ok := queuePath(w, r)
	if !ok {
		return
	}
	if !s.be.Core.QueueExists(d) {
		fail(w, http.StatusNotFound, "no queue "+d.Name)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"purged": s.be.Core.Purge(d)})
}

func (s *Server) queueDelete(w http.ResponseWriter, r *http.Request, _ *who) {
	d, ok := queuePath(w, r)
	if !ok {
		return
	}
	if !s.be.Core.DeleteQueue(d) {
		fail(w, http.StatusNotFound, "no queue "+r.PathValue("name"))
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"deleted": r.PathValue("name")})
}

// sendRequest is the console's Send page.
type sendRequest struct {
	Destination   string            `json:"destination"` // queue://x, topic://x, or an MQTT topic with "mqtt": true
	Body          string            `json:"body"`
	Headers       map[string]string `json:"headers"`
	Persistent    bool              `json:"persistent"`
	Priority      int               `json:"priority"`
	TTL           int64             `json:"ttlMillis"`
	CorrelationID string            `json:"correlationId"`
	ReplyTo       string            `json:"replyTo"`
	Count         int               `json:"count"`
	Retain        bool              `json:"retain"`
}

func (s *Server) send(w http.ResponseWriter, r *http.Request, caller *who) {
	var req sendRequest
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 16<<20)).Decode(&req); err != nil {
		fail(w, http.StatusBadRequest, "bad JSON: "+err.Error())
		return
	}
	d, err := dest.Parse(req.Destination, dest.Queue)
	if err != nil || (d.Kind != dest.Queue && d.Kind != dest.Topic) || checkName(d.Name) != nil {
		fail(w, http.StatusBadRequest, "destination must be queue://NAME or topic://NAME without wildcards")
		return
	}
	if req.Count <= 0 {
		req.Count = 1
	}
	if req.Count > 100000 || req.Priority < 0 || req.Priority > 9 {
		fail(w, http.StatusBadRequest, "count must be 1-100000 and priority 0-9")
		return
	}
	origin := &broker.Origin{ClientID: "console", User: caller.user}
	for i := 0; i < req.Count; i++ {
		m := &broker.Message{
			Dest: d, Payload: []byte(req.Body), Persistent: req.Persistent, Priority: uint8(req.Priority),
			Retain: req.Retain && d.Kind == dest.Topic,
			Origin: origin,
		}
		if m.Priority == 0 {
			m.Priority = 4
		}
		if req.Persistent {
			m.QoS = 1
		}
		if req.TTL > 0 {
			m.Expiry = time.Now().Add(time.Duration(req.TTL) * time.Millisecond).UnixMilli()
		}
		p := &broker.Props{}
		if req.CorrelationID != "" {
			p.CorrelationData = []byte(req.CorrelationID)
		}
		if req.ReplyTo != "" {
			if rt, err := dest.Parse(req.ReplyTo, dest.Queue); err == nil {
				p.ReplyTo = rt
			}
		}
		for k, v := range req.Headers {
			p.User = append(p.User, broker.KV{Key: k, Value: v})
		}
		m.Props = p
		ctx, cancel := context.WithTimeout(r.Context(), 10*time.Second)
		err := s.be.Core.Send(ctx, m)
		cancel()
		if err != nil {
			fail(w, http.StatusServiceUnavailable, err.Error())
			return
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"sent": req.Count, "destination": d.String()})
}
