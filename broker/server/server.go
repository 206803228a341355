// Package server assembles one running Hashi broker from a configuration:
// the core, the protocol servers, and a listener per transport connector. It
// is what `hashi broker` runs and what end-to-end tests embed.
package server

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"

	"github.com/hashicorp/go-hclog"

	"github.com/hashi-broker/hashi/broker"
	"github.com/hashi-broker/hashi/broker/admin"
	"github.com/hashi-broker/hashi/broker/mqtt"
	"github.com/hashi-broker/hashi/broker/stomp"
	"github.com/hashi-broker/hashi/broker/transport"
	"github.com/hashi-broker/hashi/config"
	"github.com/hashi-broker/hashi/network"
)

// Version is the Hashi version reported to clients (set by cmd/hashi).
var Version = "dev"

// Server is one running broker.
type Server struct {
	log   hclog.Logger
	core  *broker.Broker
	mqtt  *mqtt.Server
	stomp *stomp.Server
	net   *network.Manager
	admin *admin.Server
	opts  Options

	ready     atomic.Bool
	mu        sync.Mutex
	cfg       *config.Config
	listeners []*transport.Listener
	serveErr  chan error
}

// Options are settings that do not come from activemq.xml.
type Options struct {
	// AdminAddr is the admin HTTP listener's address ("" = none).
	AdminAddr string
	// AdminTLS serves the admin listener over HTTPS with the sslContext.
	AdminTLS bool
	// ConsoleGroups may use the console (default admins, activemq-webconsole).
	ConsoleGroups []string
	// ConfigPath is the activemq.xml the broker runs ("" = embedded default)
	// and ConfigText its text, for the console's configuration page.
	ConfigPath string
	ConfigText []byte
	// MQTT tunes the MQTT server (session limits); zero values are defaults.
	MQTT mqtt.Options
}

// New builds the broker from cfg without binding anything.
func New(cfg *config.Config, log hclog.Logger) (*Server, error) {
	return NewWithOptions(cfg, log, Options{})
}

// NewWithOptions is New with options.
func NewWithOptions(cfg *config.Config, log hclog.Logger, opts Options) (*Server, error) {
	if log == nil {
		log = hclog.NewNullLogger()
	}
	core, err := broker.New(cfg, log.Named("broker"))
	if err != nil {
		return nil, err
	}
	s := &Server{log: log, core: core, cfg: cfg, serveErr: make(chan error, 16), opts: opts}
	s.mqtt = mqtt.NewServer(core, log.Named("mqtt"), opts.MQTT)
	s.stomp = stomp.NewServer(core, log.Named("stomp"), stomp.Options{Version: Version})
	s.net = network.New(core, cfg, log.Named("network"))
	s.stomp.SetBridges(s.net)
	return s, nil
}

// Core is the broker core (for tests and the admin API).
func (s *Server) Core() *broker.Broker { return s.core }

// MQTT is the MQTT protocol server.
func (s *Server) MQTT() *mqtt.Server { return s.mqtt }

// Start binds every enabled transport connector and starts accepting. If one
// cannot be bound, the others are closed again and the error names it.
func (s *Server) Start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, tc := range s.cfg.Broker.TransportConnectors {
		if tc.Protocol == config.ProtoAMQP {
			continue // warned about by the loader
		}
		l, err := s.listen(s.cfg, tc)
		if err != nil {
			s.closeListeners(context.Background())
			return err
		}
		s.serve(l)
	}
	if s.opts.AdminAddr != "" {
		a, err := s.startAdmin()
		if err != nil {
			s.closeListeners(context.Background())
			return fmt.Errorf("admin listener: %w", err)
		}
		s.admin = a
		s.log.Info("admin listener started", "addr", a.Addr().String())
		go func() {
			if err := a.Serve(); err != nil {
				s.serveErr <- fmt.Errorf("admin listener: %w", err)
			}
		}()
	}
	s.net.Start()
	s.ready.Store(true)
	s.log.Info("broker started", "name", s.core.Name(), "id", s.core.ID(), "connectors", len(s.listeners))
	return nil
}

// Network is the network-of-brokers manager.
func (s *Server) Network() *network.Manager { return s.net }

// AdminAddr is the admin listener's bound address (nil when off).
func (s *Server) AdminAddr() net.Addr {
	if s.admin == nil {
		return nil
	}
	return s.admin.Addr()
}

func (s *Server) handlers() transport.Handlers {
	return transport.Handlers{config.ProtoMQTT: s.mqtt, config.ProtoSTOMP: s.stomp}
}

// serve starts accepting on l. s.mu must be held.
func (s *Server) serve(l *transport.Listener) {
	s.listeners = append(s.listeners, l)
	tc := l.Connector()
	s.log.Info("transport connector started", "name", tc.Name, "uri", tc.URI, "addr", l.Addr().String())
	go func() {
		if err := l.Serve(); err != nil {
			s.serveErr <- fmt.Errorf("transport connector %q: %w", tc.Name, err)
		}
	}()
}

// Errors reports listeners that stopped on their own.
func (s *Server) Errors() <-chan error { return s.serveErr }

// Addr returns the bound address of the named connector (nil if none), which
// tests use with port 0.
func (s *Server) Addr(name string) net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, l := range s.listeners {
		if l.Connector().Name == name {
			return l.Addr()
		}
	}
	return nil
}

// Reload applies cfg live (see Apply).
func (s *Server) Reload(cfg *config.Config) error {
	_, err := s.Apply(cfg)
	return err
}

// Config is the configuration currently applied.
func (s *Server) Config() *config.Config {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cfg
}

// Shutdown stops accepting, closes client connections (MQTT 5 clients get
// DISCONNECT 0x8B; in-flight QoS 1/2 stays in their sessions) and stops the
// core, within ctx.
func (s *Server) Shutdown(ctx context.Context) error {
	s.ready.Store(false)
	s.mu.Lock()
	defer s.mu.Unlock()
	// Bridges first, then the protocol servers end their connections (the
	// listeners' handlers return), then the listeners close.
	errs := []error{s.net.Stop(ctx), s.mqtt.Shutdown(ctx), s.stomp.Shutdown(ctx), s.closeListeners(ctx)}
	if s.admin != nil {
		errs = append(errs, s.admin.Shutdown(ctx))
	}
	errs = append(errs, s.core.Shutdown(ctx))
	return errors.Join(errs...)
}

func (s *Server) closeListeners(ctx context.Context) error {
	var errs []error
	for _, l := range s.listeners {
		errs = append(errs, l.Close(ctx))
	}
	s.listeners = nil
	return errors.Join(errs...)
}
