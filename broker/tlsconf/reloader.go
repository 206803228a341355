package tlsconf

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"sync"
	"sync/atomic"

	"github.com/hashi-broker/hashi/config"
)

// ErrNoSSLContext is returned when TLS is asked for without an sslContext or
// without a keyStore in it.
var ErrNoSSLContext = errors.New("tlsconf: no sslContext keyStore configured")

// ErrNoTrustStore is returned when client certificates must be verified but
// no trustStore is configured.
var ErrNoTrustStore = errors.New("tlsconf: needClientAuth requires a trustStore in sslContext")

// material is one loaded generation of the sslContext files.
type material struct {
	cert *tls.Certificate // nil when no keyStore is configured
	pool *x509.CertPool   // nil when no trustStore is configured
}

// Reloader holds the key and trust material of an sslContext and re-reads the
// files on Reload. Configurations made by its Server method see a reload at
// the next handshake; those made by Client are fixed, so a bridge asks for a
// new one for every dial.
type Reloader struct {
	ssl config.SSLContext // copy: the caller's value may change
	cur atomic.Pointer[material]
	mu  sync.Mutex // serializes Reload
}

// NewReloader loads the files named by ssl. ssl may be nil (no sslContext),
// which gives no client certificate and the system roots.
func NewReloader(ssl *config.SSLContext) (*Reloader, error) {
	r := &Reloader{}
	if ssl != nil {
		r.ssl = *ssl
	}
	if err := r.Reload(); err != nil {
		return nil, err
	}
	return r, nil
}

// Reload re-reads the key and trust stores. On error the previous material
// stays in use.
func (r *Reloader) Reload() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	m := &material{}
	var err error
	if r.ssl.KeyStore != "" {
		m.cert, err = loadKeyStore(r.ssl.KeyStore, r.ssl.KeyStorePassword, r.ssl.KeyStoreKeyPassword, r.ssl.KeyStoreType)
		if err != nil {
			return err
		}
	}
	if r.ssl.TrustStore != "" {
		m.pool, err = loadTrustStore(r.ssl.TrustStore, r.ssl.TrustStorePassword, r.ssl.TrustStoreType)
		if err != nil {
			return err
		}
	}
	r.cur.Store(m)
	return nil
}

// Certificate returns the current key store certificate (nil without one);
// its Leaf is set.
func (r *Reloader) Certificate() *tls.Certificate { return r.cur.Load().cert }

// Server returns the listener configuration. needClientAuth requires a client
// certificate signed by a trustStore CA; wantClientAuth verifies one if the
// client sends it (against the trustStore, or the system roots without one).
// The certificate and trust store are read from the Reloader at each
// handshake.
func (r *Reloader) Server(needClientAuth, wantClientAuth bool) (*tls.Config, error) {
	m := r.cur.Load()
	if m.cert == nil {
		return nil, ErrNoSSLContext
	}
	if needClientAuth && m.pool == nil {
		return nil, ErrNoTrustStore
	}
	auth := tls.NoClientCert
	switch {
	case needClientAuth:
		auth = tls.RequireAndVerifyClientCert
	case wantClientAuth:
		auth = tls.VerifyClientCertIfGiven
	}
	base := &tls.Config{
		MinVersion:   tls.VersionTLS12,
		Certificates: []tls.Certificate{*m.cert},
		ClientAuth:   auth,
		ClientCAs:    m.pool,
	}
	// The base config answers every ClientHello with a clone of itself holding
	// the current material, built once per Reload. Settings the caller adds to
	// base before the first handshake (NextProtos, cipher suites) carry over.
	v := &serverView{r: r, base: base}
	base.GetConfigForClient = func(*tls.ClientHelloInfo) (*tls.Config, error) {
		return v.current(), nil
	}
	return base, nil
}

// serverView is one listener's configuration over the Reloader's material.
type serverView struct {
	r    *Reloader
	base *tls.Config
	last atomic.Pointer[builtConfig]
}

type builtConfig struct {
	m   *material
	cfg *tls.Config
}

// current returns the configuration for the Reloader's current material.
func (v *serverView) current() *tls.Config {
	m := v.r.cur.Load()
	if b := v.last.Load(); b != nil && b.m == m {
		return b.cfg
	}
	b := &builtConfig{m: m, cfg: v.build(m)}
	v.last.Store(b) // racing builders store equivalent configs
	return b.cfg
}

func (v *serverView) build(m *material) *tls.Config {
	cfg := v.base.Clone()
	cfg.GetConfigForClient = nil
	cfg.Certificates = []tls.Certificate{*m.cert}
	cfg.ClientCAs = m.pool
	return cfg
}

// Client returns a configuration for dialing a remote broker: it presents the
// key store certificate (if any) as client certificate and verifies the
// server against the trustStore, or the system roots without one, and its
// host name against serverName. With an empty serverName, tls.Dial fills in
// the host of the address dialed.
func (r *Reloader) Client(serverName string) *tls.Config {
	m := r.cur.Load()
	cfg := &tls.Config{
		MinVersion: tls.VersionTLS12,
		ServerName: serverName,
		RootCAs:    m.pool,
	}
	if m.cert != nil {
		cfg.Certificates = []tls.Certificate{*m.cert}
	}
	return cfg
}

// Server loads ssl and returns a listener configuration; see Reloader.Server.
// Use a Reloader to pick up renewed certificates without a restart.
func Server(ssl *config.SSLContext, needClientAuth, wantClientAuth bool) (*tls.Config, error) {
	if ssl == nil || ssl.KeyStore == "" {
		return nil, ErrNoSSLContext
	}
	r, err := NewReloader(ssl)
	if err != nil {
		return nil, err
	}
	return r.Server(needClientAuth, wantClientAuth)
}

// Client loads ssl (which may be nil) and returns a configuration for dialing
// serverName; see Reloader.Client.
func Client(ssl *config.SSLContext, serverName string) (*tls.Config, error) {
	r, err := NewReloader(ssl)
	if err != nil {
		return nil, err
	}
	return r.Client(serverName), nil
}
