package bench

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"os"
	"strings"
	"time"

	"github.com/hashi-broker/hashi/broker/transport/rawio"
)

// dialer opens the generator's connections: plain TCP or TLS, optionally
// through in-process relays (by original address).
type dialer struct {
	tls    *tls.Config
	relays map[string]string // broker address → relay address
}

func newDialer(cfg *Config) (*dialer, error) {
	d := &dialer{relays: map[string]string{}}
	if cfg.CAFile != "" || cfg.Insecure {
		d.tls = &tls.Config{InsecureSkipVerify: cfg.Insecure} //nolint:gosec // asked for with --insecure
		if cfg.CAFile != "" {
			pem, err := os.ReadFile(cfg.CAFile)
			if err != nil {
				return nil, fmt.Errorf("%w: CA file: %v", ErrConfig, err)
			}
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM(pem) {
				return nil, fmt.Errorf("%w: CA file %s holds no PEM certificate", ErrConfig, cfg.CAFile)
			}
			d.tls.RootCAs = pool
		}
	}
	return d, nil
}

func (d *dialer) dial(ctx context.Context, ep Endpoint) (net.Conn, error) {
	addr := ep.Addr
	if r, ok := d.relays[addr]; ok {
		addr = r
	}
	// No TCP keep-alive: MQTT keep-alive and STOMP heart-beats cover it,
	// and Go's default would cost the generator four setsockopt calls per
	// connection.
	nd := net.Dialer{Timeout: 15 * time.Second, KeepAlive: -1}
	c, err := nd.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	// The generator's own wake-ups at light load are part of every
	// broker's measured latency: keep them as small as the broker's.
	c = rawio.Wrap(c)
	if !ep.TLS {
		return c, nil
	}
	cfg := &tls.Config{ServerName: ep.Host}
	if d.tls != nil {
		cfg = d.tls.Clone()
		cfg.ServerName = strings.Trim(ep.Host, "[]")
	}
	tc := tls.Client(c, cfg)
	_ = c.SetDeadline(time.Now().Add(15 * time.Second))
	if err := tc.HandshakeContext(ctx); err != nil {
		c.Close()
		return nil, fmt.Errorf("TLS handshake with %s: %w", ep.Addr, err)
	}
	_ = c.SetDeadline(time.Time{})
	return tc, nil
}
