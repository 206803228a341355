// Package admin is the broker's admin HTTP listener (127.0.0.1:8161 by
// default): the JSON API under /api/v1/ and health checks. The web console
// builds on the same listener.
package admin

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/hashi-broker/hashi/network"
)

// Source is what the admin API reads from the running broker.
type Source interface {
	Bridges() []network.Info
}

// Server is the admin HTTP listener.
type Server struct {
	log  hclog.Logger
	src  Source
	ln   net.Listener
	http *http.Server
}

// Listen binds addr; Serve runs it.
func Listen(addr string, src Source, log hclog.Logger) (*Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	s := &Server{log: log, src: src, ln: ln}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/bridges", s.bridges)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("ok\n")) })
	s.http = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, ErrorLog: log.StandardLogger(nil)}
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

func (s *Server) bridges(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, map[string]any{"bridges": s.src.Bridges()})
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(v)
}
