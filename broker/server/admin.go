package server

import (
	"crypto/tls"
	"path/filepath"

	"github.com/hashi-broker/hashi/broker/admin"
	"github.com/hashi-broker/hashi/broker/tlsconf"
	"github.com/hashi-broker/hashi/config"
)

// startAdmin binds the admin listener with a backend over this server.
func (s *Server) startAdmin() (*admin.Server, error) {
	var tcfg *tls.Config
	if s.opts.AdminTLS {
		var err error
		tcfg, err = tlsconf.Server(s.cfg.Broker.SSLContext, false, false)
		if err != nil {
			return nil, err
		}
	}
	dataDir := s.cfg.Broker.DataDirectory
	if dataDir != "" && s.opts.ConfigPath != "" && !filepath.IsAbs(dataDir) {
		// a relative dataDirectory is relative to the working directory
		dataDir, _ = filepath.Abs(dataDir)
	}
	be := admin.Backend{
		Core:       s.core,
		Network:    s.net,
		Config:     s.Config,
		Connectors: s.connectorInfo,
		Apply: func(cfg *config.Config) (any, error) {
			ch, err := s.Apply(cfg)
			return ch, err
		},
		Ready:      s.ready.Load,
		Version:    Version,
		ConfigPath: s.opts.ConfigPath,
		ConfigText: s.opts.ConfigText,
		DataDir:    dataDir,
	}
	return admin.Listen(be, admin.Options{Addr: s.opts.AdminAddr, TLS: tcfg, ConsoleGroups: s.opts.ConsoleGroups}, s.log.Named("admin"))
}

// connectorInfo lists the running transport connectors.
func (s *Server) connectorInfo() []admin.ConnectorInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]admin.ConnectorInfo, 0, len(s.listeners))
	for _, l := range s.listeners {
		tc := l.Connector()
		out = append(out, admin.ConnectorInfo{
			Name: tc.Name, URI: tc.URI, Addr: l.Addr().String(), Protocol: string(tc.Protocol), TLS: tc.TLS, Active: l.Active(),
		})
	}
	return out
}
