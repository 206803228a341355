package network

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/go-stomp/stomp/v3/frame"

	"github.com/hashi-broker/hashi/authz"
	wire "github.com/hashi-broker/hashi/broker/stomp/frame"
	"github.com/hashi-broker/hashi/broker/tlsconf"
	"github.com/hashi-broker/hashi/broker/transport/rawio"
	"github.com/hashi-broker/hashi/config"
)

// dialTimeout bounds one TCP (+TLS) connect and the STOMP handshake.
const dialTimeout = 5 * time.Second

// errFatal marks a failure that retrying cannot fix.
type errFatal struct{ error }

// errRefused marks a remote that answered but would not bridge (TLS
// handshake, authentication, a duplex link that already exists): probing
// for a listening port says nothing about it, so the dialer sits out the
// full backoff instead of retrying every probe interval.
type errRefused struct{ error }

func (e errRefused) Unwrap() error { return e.error }
func (e errFatal) Unwrap() error   { return e.error }

// dialer keeps one initiated bridge connected: it tries the plan's URIs in
// order (masterslave: whichever of the pair accepts), runs the link, and
// reconnects with ActiveMQ's backoff, probing the remote cheaply meanwhile.
type dialer struct {
	m      *Manager
	nc     config.NetworkConnector
	plan   []string
	br     *Bridge
	cancel context.CancelFunc
}

// stop ends the dialer and closes its bridge's link (configuration removed
// or changed the connector).
func (d *dialer) stop() {
	if d.cancel != nil {
		d.cancel()
	}
	d.br.closeLink("network connector removed by a configuration change")
	d.br.setState(Stopped, "removed by a configuration change")
}

func (d *dialer) run(ctx context.Context) {
	defer func() {
		if ctx.Err() != nil {
			d.br.discard()
		}
	}()
	bo := newBackoff(d.nc.Reconnect)
	for ctx.Err() == nil {
		d.br.setState(Connecting, "")
		l, err := d.connect(ctx)
		var (
			wait  time.Duration
			ok    bool
			probe = true
		)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			var fatal errFatal
			if errors.As(err, &fatal) {
				d.br.setState(Stopped, err.Error())
				d.m.log.Error("network bridge stopped", "bridge", d.br.key, "error", err)
				return
			}
			d.br.setState(BackingOff, err.Error())
			wait, ok = bo.failed()
			var refused errRefused
			probe = !errors.As(err, &refused)
		} else {
			start := time.Now()
			runErr := l.run()
			if ctx.Err() != nil {
				d.br.setState(Stopped, "broker shutting down")
				return
			}
			d.br.setState(BackingOff, "link lost: "+errString(runErr))
			wait, ok = bo.ended(time.Since(start))
		}
		if !ok {
			d.br.setState(Stopped, fmt.Sprintf("Reconnect attempts exceeded (maxReconnectAttempts=%d)", d.nc.Reconnect.MaxAttempts))
			return
		}
		if !probe {
			d.sleep(ctx, wait, 0)
			continue
		}
		d.sleep(ctx, wait, bo.probeEvery())
	}
}

// sleep waits out the backoff, but returns early once a bare TCP connect to
// one of the plan's addresses succeeds (every probe; 0 = no probing).
func (d *dialer) sleep(ctx context.Context, wait, probe time.Duration) {
	deadline := time.NewTimer(wait)
	defer deadline.Stop()
	var tickC <-chan time.Time
	if probe > 0 {
		tick := time.NewTicker(probe)
		defer tick.Stop()
		tickC = tick.C
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-deadline.C:
			return
		case <-tickC:
			for _, u := range d.plan {
				if _, host, _, err := parsePeer(u); err == nil {
					c, err := net.DialTimeout("tcp", host, probe)
					if err == nil {
						c.Close()
						return
					}
				}
			}
		}
	}
}

// parsePeer splits "ssl://host:port?opts" into whether it needs TLS and the
// address.
func parsePeer(u string) (tlsOn bool, addr, host string, err error) {
	pu, err := url.Parse(u)
	if err != nil {
		return false, "", "", err
	}
	switch strings.ToLower(pu.Scheme) {
	case "ssl", "nio+ssl", "auto+ssl", "auto+nio+ssl", "stomp+ssl", "stomp+nio+ssl":
		tlsOn = true
	}
	return tlsOn, pu.Host, pu.Hostname(), nil
}

// connect tries the plan's URIs in order and returns an established link.
func (d *dialer) connect(ctx context.Context) (*link, error) {
	var errs []string
	refused := 0
	for _, u := range d.plan {
		l, err := d.connectOne(ctx, u)
		if err == nil {
			return l, nil
		}
		var fatal errFatal
		if errors.As(err, &fatal) {
			return nil, err
		}
		var r errRefused
		if errors.As(err, &r) {
			refused++
		}
		errs = append(errs, u+": "+err.Error())
	}
	err := errors.New("Could not connect to remote URI: " + strings.Join(errs, "; "))
	if refused == len(d.plan) {
		return nil, errRefused{err}
	}
	return nil, err
}

func (d *dialer) connectOne(ctx context.Context, u string) (*link, error) {
	tlsOn, addr, host, err := parsePeer(u)
	if err != nil {
		return nil, err
	}
	dctx, cancel := context.WithTimeout(ctx, dialTimeout)
	defer cancel()
	var nd net.Dialer
	nc, err := nd.DialContext(dctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	nc = rawio.Wrap(nc)
	if tlsOn {
		cfg := d.m.sslContext()
		tcfg, err := tlsconf.Client(cfg, host)
		if err != nil {
			nc.Close()
			return nil, errFatal{fmt.Errorf("TLS material for the bridge: %w", err)}
		}
		tc := tls.Client(nc, tcfg)
		if err := tc.HandshakeContext(dctx); err != nil {
			nc.Close()
			return nil, errRefused{errors.New(describeTLSError(err))}
		}
		nc = tc
	}
	nc.SetDeadline(time.Now().Add(dialTimeout))
	user, pass, err := d.credentials()
	if err != nil {
		nc.Close()
		return nil, errFatal{err}
	}
	c := frame.New(frame.CONNECT,
		frame.AcceptVersion, "1.2", frame.Host, host, frame.HeartBeat, hbHeader(),
		hBridge, ProtocolVersion, hBroker, d.m.b.Name(), hBrokerID, d.m.b.ID(), hConnector, d.nc.Name,
		hDuplex, strconv.FormatBool(d.nc.Duplex), hGrace, strconv.FormatInt(d.br.grace.Milliseconds(), 10))
	d.br.rules.addHeaders(c)
	if user != "" {
		c.Header.Add(frame.Login, user)
		c.Header.Add(frame.Passcode, pass)
	}
	if _, err := nc.Write(wire.Append(nil, c, "1.2")); err != nil {
		nc.Close()
		return nil, err
	}
	r := wire.NewReader(nc, 64*1024)
	r.Version = "1.2"
	var f *frame.Frame
	for f == nil && err == nil {
		f, err = r.Read()
	}
	if err != nil {
		nc.Close()
		return nil, fmt.Errorf("no CONNECTED from %s: %w", addr, err)
	}
	if f.Command == frame.ERROR {
		nc.Close()
		if f.Header.Get(hRefused) == refusedSelf {
			return nil, errFatal{fmt.Errorf("networkConnector %q points at this broker itself (%s); not bridging", d.nc.Name, u)}
		}
		return nil, errRefused{fmt.Errorf("%s refused the bridge: %s", addr, f.Header.Get(frame.Message))}
	}
	if f.Command != frame.CONNECTED || f.Header.Get(hBridge) == "" {
		nc.Close()
		return nil, errRefused{fmt.Errorf("%s is not a Hashi broker (answered %s without %s)", addr, f.Command, hBridge)}
	}
	peer := peerInfo{name: f.Header.Get(hBroker), id: f.Header.Get(hBrokerID)}
	if n, err := strconv.Atoi(f.Header.Get(hMaxFrame)); err == nil && n > 0 {
		peer.maxFrame = n
	}
	if peer.id == d.m.b.ID() {
		nc.Close()
		return nil, errFatal{fmt.Errorf("networkConnector %q points at this broker itself (%s); not bridging", d.nc.Name, u)}
	}
	if peer.name == d.m.b.Name() {
		d.m.warnOnce("samename|"+peer.id, "two brokers share a brokerName; give each a unique one", "name", peer.name, "remote", addr)
	}
	if d.nc.Duplex {
		d.m.mu.Lock()
		loser, weLose := d.m.duplexConflict(peer.id, true)
		d.m.mu.Unlock()
		if weLose {
			nc.Write(wire.Append(nil, frame.New(frame.DISCONNECT), "1.2"))
			nc.Close()
			return nil, errRefused{fmt.Errorf("%s already has a duplex bridge to this broker that it initiated; configure duplex on one side only", peer.name)}
		}
		if loser != nil {
			loser.supersede("superseded by " + d.br.key)
		}
	}
	sub := frame.New(frame.SUBSCRIBE, frame.Id, controlSub, frame.Destination, controlDest, frame.Ack, "client-individual")
	if _, err := nc.Write(wire.Append(nil, sub, "1.2")); err != nil {
		nc.Close()
		return nil, err
	}
	nc.SetDeadline(time.Time{})
	l := newLink(d.br, nc, r, true, peer)
	return l, nil
}

// credentials are remoteUserName/remotePassword, else userName/password; an
// absent password is the local user of the same name's (Amazon MQ's
// convention: the same user exists on both brokers).
func (d *dialer) credentials() (string, string, error) {
	user, pass := d.nc.RemoteUserName, d.nc.RemotePassword
	if user == "" {
		user, pass = d.nc.UserName, d.nc.Password
	}
	if user == "" || pass != "" {
		return user, pass, nil
	}
	a := d.m.b.Config().Broker.Authentication
	if a != nil {
		for _, u := range a.Users {
			if u.Name != user {
				continue
			}
			if authz.IsHashed(u.Password) {
				return "", "", fmt.Errorf("networkConnector %q: the local password of %q is hashed, so it cannot log in to the remote; set password on the networkConnector", d.nc.Name, user)
			}
			return user, u.Password, nil
		}
	}
	return "", "", fmt.Errorf("networkConnector %q: userName %q has no password and no local user of that name", d.nc.Name, user)
}

func (m *Manager) sslContext() *config.SSLContext { return m.b.Config().Broker.SSLContext }

// describeTLSError names the remote's certificate (the leaf it presented)
// and why it was refused.
func describeTLSError(err error) string {
	var leaf *x509.Certificate
	var ve *tls.CertificateVerificationError
	if errors.As(err, &ve) && len(ve.UnverifiedCertificates) > 0 {
		leaf = ve.UnverifiedCertificates[0]
	}
	var ua x509.UnknownAuthorityError
	if errors.As(err, &ua) {
		if leaf == nil {
			leaf = ua.Cert
		}
		if leaf != nil {
			msg := fmt.Sprintf("remote certificate refused: subject %q issued by %q is not signed by a trusted CA (trustStore)", leaf.Subject, leaf.Issuer)
			if ua.Cert != nil && ua.Cert != leaf {
				msg += fmt.Sprintf("; its chain ends at %q", ua.Cert.Subject)
			}
			return msg
		}
	}
	var he x509.HostnameError
	if errors.As(err, &he) && he.Certificate != nil {
		return fmt.Sprintf("remote certificate refused: subject %q is not valid for %s", he.Certificate.Subject, he.Host)
	}
	var ci x509.CertificateInvalidError
	if errors.As(err, &ci) && ci.Cert != nil {
		if leaf == nil {
			leaf = ci.Cert
		}
		return fmt.Sprintf("remote certificate refused: subject %q: %s", leaf.Subject, ci.Error())
	}
	if ve != nil && leaf != nil {
		return fmt.Sprintf("remote certificate refused: subject %q: %v", leaf.Subject, ve.Err)
	}
	return "TLS handshake failed: " + err.Error()
}
