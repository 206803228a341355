// Package admin is the broker's admin HTTP listener (127.0.0.1:8161 by
// default): the web console under /admin, the JSON API under /api/v1/, a
// Jolokia-compatible read under /api/jolokia/, Prometheus metrics at
// /metrics and health checks at /healthz and /readyz. docs/api.md lists the
// endpoints.
package admin

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/hashi-broker/hashi/broker"
	"github.com/hashi-broker/hashi/config"
	"github.com/hashi-broker/hashi/network"
)

// ConnectorInfo is a running transport connector.
type ConnectorInfo struct {
	Name     string `json:"name"`
	URI      string `json:"uri"`
	Addr     string `json:"addr"`
	Protocol string `json:"protocol"`
	TLS      bool   `json:"tls"`
	Active   int64  `json:"connections"`
}

// Backend is what the admin listener reads from and does to the running
// broker. broker/server provides it.
type Backend struct {
	Core       *broker.Broker
	Network    *network.Manager
	Config     func() *config.Config
	Connectors func() []ConnectorInfo
	// Apply applies a validated configuration live and describes the change.
	Apply func(*config.Config) (any, error)
	// Ready is false while the broker starts or shuts down.
	Ready   func() bool
	Version string
	// ConfigPath is the activemq.xml the broker runs ("" = embedded default);
	// an applied configuration is written there too.
	ConfigPath string
	// ConfigText is the running file's text at start.
	ConfigText []byte
	// DataDir holds the configuration revisions.
	DataDir string
}

// Options configure the listener.
type Options struct {
	Addr string
	// TLS serves HTTPS (Amazon MQ serves its console on 8162 over HTTPS).
	TLS *tls.Config
	// ConsoleGroups may log in to the console and use the API; default
	// "admins" and "activemq-webconsole".
	ConsoleGroups []string
	// SessionIdle ends a console session after this long without requests
	// (default 30 min).
	SessionIdle time.Duration
}

// Server is the admin HTTP listener.
type Server struct {
	log   hclog.Logger
	be    Backend
	opts  Options
	ln    net.Listener
	http  *http.Server
	auth  *sessions
	revs  *revisions
	texts textState
}

// Listen binds the listener; Serve runs it.
func Listen(be Backend, opts Options, log hclog.Logger) (*Server, error) {
	if len(opts.ConsoleGroups) == 0 {
		opts.ConsoleGroups = []string{"admins", "activemq-webconsole"}
	}
	if opts.SessionIdle <= 0 {
		opts.SessionIdle = 30 * time.Minute
	}
	ln, err := net.Listen("tcp", opts.Addr)
	if err != nil {
		return nil, err
	}
	if opts.TLS != nil {
		ln = tls.NewListener(ln, opts.TLS)
	}
	s := &Server{log: log, be: be, opts: opts, ln: ln}
	s.auth = newSessions(opts.SessionIdle, opts.TLS != nil)
	s.revs = newRevisions(be.DataDir, log)
	s.texts.set(be.ConfigText)
	if err := s.revs.initial(be.ConfigText); err != nil {
		log.Warn("cannot record the starting configuration as a revision", "error", err)
	}
	s.http = &http.Server{Handler: s.routes(), ReadHeaderTimeout: 10 * time.Second, ErrorLog: log.StandardLogger(nil)}
	return s, nil
}

// Addr is the bound address.
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// Serve serves until Shutdown.
func (s *Server) Serve() error {
	err := s.http.Serve(s.ln)
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// Shutdown stops the listener.
func (s *Server) Shutdown(ctx context.Context) error { return s.http.Shutdown(ctx) }

// Handler returns the HTTP handler (tests).
func (s *Server) Handler() http.Handler { return s.http.Handler }

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	// Open: load balancers and Prometheus.
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("ok\n")) })
	mux.HandleFunc("GET /readyz", s.readyz)
	mux.Handle("GET /metrics", s.metrics())

	// Session.
	mux.HandleFunc("POST /api/v1/login", s.login)
	mux.HandleFunc("POST /api/v1/logout", s.logout)
	mux.Handle("GET /api/v1/session", s.authed(s.session))

	// Read.
	mux.Handle("GET /api/v1/broker", s.authed(s.brokerInfo))
	mux.Handle("GET /api/v1/bridges", s.authed(s.bridges))
	mux.Handle("GET /api/v1/network", s.authed(s.network))
	mux.Handle("GET /api/v1/topics", s.authed(s.topics))
	mux.Handle("GET /api/v1/queues", s.authed(s.queues))
	mux.Handle("GET /api/v1/queues/{name}", s.authed(s.queue))
	mux.Handle("GET /api/v1/queues/{name}/messages", s.authed(s.browse))
	mux.Handle("GET /api/v1/subscribers", s.authed(s.subscribers))
	mux.Handle("GET /api/v1/connections", s.authed(s.connections))
	mux.Handle("GET /api/v1/config", s.authed(s.configGet))
	mux.Handle("GET /api/v1/config/revisions", s.authed(s.revisionList))
	mux.Handle("GET /api/v1/config/revisions/{id}", s.authed(s.revisionGet))
	mux.Handle("GET /api/jolokia/read/{path...}", s.authed(s.jolokia))

	// Change (CSRF-protected, logged with the user).
	mux.Handle("POST /api/v1/queues", s.changes(s.queueCreate))
	mux.Handle("POST /api/v1/queues/{name}/purge", s.changes(s.queuePurge))
	mux.Handle("DELETE /api/v1/queues/{name}", s.changes(s.queueDelete))
	mux.Handle("POST /api/v1/send", s.changes(s.send))
	mux.Handle("POST /api/v1/connections/{id}/close", s.changes(s.connectionClose))
	mux.Handle("POST /api/v1/config/validate", s.changes(s.configValidate))
	mux.Handle("POST /api/v1/config/diff", s.changes(s.configDiff))
	mux.Handle("POST /api/v1/config/apply", s.changes(s.configApply))
	mux.Handle("POST /api/v1/config/revisions/{id}/rollback", s.changes(s.configRollback))

	// Console.
	s.console(mux)
	return mux
}

func (s *Server) readyz(w http.ResponseWriter, _ *http.Request) {
	if s.be.Ready != nil && !s.be.Ready() {
		http.Error(w, "not ready\n", http.StatusServiceUnavailable)
		return
	}
	w.Write([]byte("ready\n"))
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(v)
}

// apiError is the body of every error answer.
type apiError struct {
	Error string `json:"error"`
}

func fail(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, apiError{msg})
}
