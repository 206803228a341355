package tlsconf

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/hashi-broker/hashi/config"
)

// pki is a CA with a server and a client certificate, and a second CA that
// nobody trusts, written to a temporary folder.
type pki struct {
	dir                 string
	ca, other           testCert
	server, client, bad testCert
	caFile              string // PEM bundle holding ca
	serverFile          string // server chain + key (PKCS#8)
	clientFile          string // client cert + key (SEC 1)
	badClientFile       string // client cert from the untrusted CA
}

func newPKI(t *testing.T) *pki {
	t.Helper()
	p := &pki{dir: t.TempDir()}
	p.ca = newCA(t, "Hashi Test CA")
	p.other = newCA(t, "Untrusted CA")
	p.server = p.ca.leaf(t, "localhost", false, false)
	p.client = p.ca.leaf(t, "client", true, false)
	p.bad = p.other.leaf(t, "intruder", true, false)
	p.caFile = writeFile(t, p.dir, "ca.pem", p.ca.certPEM())
	p.serverFile = writeFile(t, p.dir, "server.pem", p.server.certPEM(), p.ca.certPEM(), p.server.keyPEM(t, false))
	p.clientFile = writeFile(t, p.dir, "client.pem", p.client.certPEM(), p.client.keyPEM(t, true))
	p.badClientFile = writeFile(t, p.dir, "bad.pem", p.bad.certPEM(), p.bad.keyPEM(t, false))
	return p
}

func (p *pki) serverSSL() *config.SSLContext {
	return &config.SSLContext{KeyStore: p.serverFile, TrustStore: p.caFile}
}

func (p *pki) clientSSL(keyStore string) *config.SSLContext {
	return &config.SSLContext{KeyStore: keyStore, TrustStore: p.caFile}
}

// handshake runs a TLS handshake over loopback and exchanges one byte, so that
// a TLS 1.3 client learns about a refused client certificate too. It returns
// the server's view of the connection and both sides' errors.
func handshake(t *testing.T, srv, cli *tls.Config) (tls.ConnectionState, error, error) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	type result struct {
		state tls.ConnectionState
		err   error
	}
	done := make(chan result, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			done <- result{err: err}
			return
		}
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(10 * time.Second))
		tc := tls.Server(c, srv)
		if err := tc.Handshake(); err != nil {
			done <- result{err: err}
			return
		}
		_, err = tc.Write([]byte{'k'})
		done <- result{state: tc.ConnectionState(), err: err}
	}()

	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	tc := tls.Client(c, cli)
	cerr := tc.Handshake()
	if cerr == nil {
		_, cerr = io.ReadFull(tc, make([]byte, 1))
	}
	c.Close()
	r := <-done
	return r.state, r.err, cerr
}

func mustServer(t *testing.T, ssl *config.SSLContext, need, want bool) *tls.Config {
	t.Helper()
	cfg, err := Server(ssl, need, want)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func mustClient(t *testing.T, ssl *config.SSLContext, name string) *tls.Config {
	t.Helper()
	cfg, err := Client(ssl, name)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func TestServerOnlyTLS(t *testing.T) {
	p := newPKI(t)
	srv := mustServer(t, &config.SSLContext{KeyStore: p.serverFile}, false, false)
	for _, name := range []string{"localhost", "127.0.0.1"} {
		st, serr, cerr := handshake(t, srv, mustClient(t, &config.SSLContext{TrustStore: p.caFile}, name))
		if serr != nil || cerr != nil {
			t.Fatalf("%s: server %v, client %v", name, serr, cerr)
		}
		if st.Version < tls.VersionTLS12 || len(st.PeerCertificates) != 0 {
			t.Errorf("version %x, %d peer certificates", st.Version, len(st.PeerCertificates))
		}
	}
	// Host name verification against serverName.
	if _, _, cerr := handshake(t, srv, mustClient(t, &config.SSLContext{TrustStore: p.caFile}, "broker.example.com")); cerr == nil {
		t.Error("a certificate for localhost was accepted for broker.example.com")
	}
	// Without a trustStore the client uses the system roots, which do not hold
	// the test CA.
	_, _, cerr := handshake(t, srv, mustClient(t, nil, "localhost"))
	var unknown x509.UnknownAuthorityError
	if !errors.As(cerr, &unknown) {
		t.Errorf("system roots: client error %v, want an unknown authority", cerr)
	}
}

func TestClientCertRequired(t *testing.T) {
	p := newPKI(t)
	srv := mustServer(t, p.serverSSL(), true, false)

	st, serr, cerr := handshake(t, srv, mustClient(t, p.clientSSL(p.clientFile), "localhost"))
	if serr != nil || cerr != nil {
		t.Fatalf("with client cert: server %v, client %v", serr, cerr)
	}
	if len(st.PeerCertificates) == 0 || st.PeerCertificates[0].Subject.CommonName != "client" {
		t.Errorf("peer certificates %v", st.PeerCertificates)
	}

	_, serr, cerr = handshake(t, srv, mustClient(t, p.clientSSL(""), "localhost"))
	if serr == nil || cerr == nil {
		t.Errorf("missing client cert: server %v, client %v; both must fail", serr, cerr)
	}
}

func TestUntrustedClientCertRejected(t *testing.T) {
	p := newPKI(t)
	for _, want := range []bool{false, true} {
		srv := mustServer(t, p.serverSSL(), !want, want)
		cli := mustClient(t, p.clientSSL(p.badClientFile), "localhost")
		// A Go client leaves out a certificate whose issuer is not among the
		// server's acceptable CAs; an attacker would send it anyway.
		bad := cli.Certificates[0]
		cli.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return &bad, nil }
		_, serr, cerr := handshake(t, srv, cli)
		var unknown x509.UnknownAuthorityError
		if !errors.As(serr, &unknown) || cerr == nil {
			t.Errorf("want=%v: server %v, client %v", want, serr, cerr)
		}
	}
}

func TestWantClientAuth(t *testing.T) {
	p := newPKI(t)
	srv := mustServer(t, p.serverSSL(), false, true)
	st, serr, cerr := handshake(t, srv, mustClient(t, p.clientSSL(""), "localhost"))
	if serr != nil || cerr != nil || len(st.PeerCertificates) != 0 {
		t.Errorf("no client cert: server %v, client %v", serr, cerr)
	}
	st, serr, cerr = handshake(t, srv, mustClient(t, p.clientSSL(p.clientFile), "localhost"))
	if serr != nil || cerr != nil || len(st.VerifiedChains) == 0 {
		t.Errorf("client cert: server %v, client %v, chains %d", serr, cerr, len(st.VerifiedChains))
	}
}

func TestTLS11Refused(t *testing.T) {
	p := newPKI(t)
	srv := mustServer(t, p.serverSSL(), false, false)
	cli := mustClient(t, p.clientSSL(""), "localhost")
	cli.MinVersion, cli.MaxVersion = tls.VersionTLS10, tls.VersionTLS11
	_, serr, cerr := handshake(t, srv, cli)
	if serr == nil || cerr == nil {
		t.Fatalf("TLS 1.1: server %v, client %v; both must fail", serr, cerr)
	}
	if !strings.Contains(serr.Error(), "version") {
		t.Errorf("server error %v does not mention the version", serr)
	}
}

func TestPKCS12KeyStore(t *testing.T) {
	p := newPKI(t)
	rsaServer := p.ca.leaf(t, "localhost", false, true)
	file := writeFile(t, p.dir, "server.p12", pkcs12File(t, rsaServer, "changeit", p.ca.cert))
	ssl := &config.SSLContext{KeyStore: file, KeyStorePassword: "changeit", KeyStoreType: "pkcs12", TrustStore: p.caFile}
	srv := mustServer(t, ssl, false, false)
	if _, serr, cerr := handshake(t, srv, mustClient(t, p.clientSSL(""), "localhost")); serr != nil || cerr != nil {
		t.Fatalf("server %v, client %v", serr, cerr)
	}
	r, err := NewReloader(ssl)
	if err != nil {
		t.Fatal(err)
	}
	if c := r.Certificate(); len(c.Certificate) != 2 || c.Leaf.SerialNumber.Cmp(rsaServer.cert.SerialNumber) != 0 {
		t.Errorf("chain of %d, leaf %v", len(c.Certificate), c.Leaf.Subject)
	}

	// The type is sniffed from the content: a .ks name and type JKS still work.
	ks := writeFile(t, p.dir, "broker.ks", pkcs12File(t, rsaServer, "changeit"))
	if _, err := Server(&config.SSLContext{KeyStore: ks, KeyStorePassword: "changeit", KeyStoreType: "JKS"}, false, false); err != nil {
		t.Errorf("PKCS#12 content under a JKS name: %v", err)
	}

	// A PKCS#12 trust store in the key-and-certificate layout.
	ts := writeFile(t, p.dir, "trust.p12", pkcs12File(t, p.ca, "trustpw"))
	srv = mustServer(t, &config.SSLContext{KeyStore: p.serverFile, TrustStore: ts, TrustStorePassword: "trustpw"}, true, false)
	if _, serr, cerr := handshake(t, srv, mustClient(t, p.clientSSL(p.clientFile), "localhost")); serr != nil || cerr != nil {
		t.Fatalf("PKCS#12 trust store: server %v, client %v", serr, cerr)
	}

	ssl.KeyStorePassword = "wrong"
	_, err = Server(ssl, false, false)
	if err == nil || !strings.Contains(err.Error(), "password") || !strings.Contains(err.Error(), file) {
		t.Errorf("wrong password: %v", err)
	}
}

func TestJKSError(t *testing.T) {
	p := newPKI(t)
	jks := writeFile(t, p.dir, "broker.ks", []byte{0xfe, 0xed, 0xfe, 0xed, 0, 0, 0, 2})
	_, err := Server(&config.SSLContext{KeyStore: jks, KeyStoreType: "jks"}, false, false)
	if !errors.Is(err, ErrJKS) {
		t.Fatalf("err = %v", err)
	}
	for _, want := range []string{jks, "keytool -importkeystore -srckeystore " + jks, "-deststoretype PKCS12", "openssl pkcs12 -in", "-nodes"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	ts := writeFile(t, p.dir, "broker.ts", []byte{0xfe, 0xed, 0xfe, 0xed, 0, 0, 0, 2})
	_, err = Server(&config.SSLContext{KeyStore: p.serverFile, TrustStore: ts}, false, false)
	if !errors.Is(err, ErrJKS) || !strings.Contains(err.Error(), "keytool -list -rfc -keystore "+ts) {
		t.Errorf("trust store: %v", err)
	}
}

func TestStoreErrors(t *testing.T) {
	p := newPKI(t)
	certOnly := writeFile(t, p.dir, "cert-only.pem", p.server.certPEM())
	keyOnly := writeFile(t, p.dir, "key-only.pem", p.server.keyPEM(t, false))
	mismatch := writeFile(t, p.dir, "mismatch.pem", p.client.certPEM(), p.server.keyPEM(t, false))
	empty := writeFile(t, p.dir, "empty-ca.pem", p.server.keyPEM(t, false))
	garbage := writeFile(t, p.dir, "garbage.bin", []byte("hello"))
	encrypted := writeFile(t, p.dir, "enc.pem", []byte("-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n"), p.server.certPEM())
	cases := []struct {
		ssl     config.SSLContext
		is      error
		message string
	}{
		{config.SSLContext{KeyStore: certOnly}, ErrNoKey, "tlsconf: key store " + certOnly + ": no private key found"},
		{config.SSLContext{KeyStore: keyOnly}, ErrNoCert, keyOnly},
		{config.SSLContext{KeyStore: mismatch}, ErrKeyMismatch, "certificate does not match private key"},
		{config.SSLContext{KeyStore: p.serverFile, TrustStore: empty}, ErrNoTrustCerts, "tlsconf: trust store " + empty + ": no certificates found"},
		{config.SSLContext{KeyStore: garbage}, ErrUnknownFormat, garbage},
		{config.SSLContext{KeyStore: encrypted}, ErrEncryptedPEM, encrypted},
		{config.SSLContext{KeyStore: p.dir + "/missing.pem"}, os.ErrNotExist, "missing.pem: no such file"},
		{config.SSLContext{KeyStore: p.serverFile, TrustStore: p.dir + "/nope.pem"}, os.ErrNotExist, "trust store"},
	}
	for _, c := range cases {
		_, err := Server(&c.ssl, false, false)
		if !errors.Is(err, c.is) || !strings.Contains(err.Error(), c.message) {
			t.Errorf("%+v: err = %v, want %v containing %q", c.ssl, err, c.is, c.message)
		}
	}
	if _, err := Server(nil, false, false); !errors.Is(err, ErrNoSSLContext) {
		t.Errorf("nil sslContext: %v", err)
	}
	if _, err := Server(&config.SSLContext{KeyStore: p.serverFile}, true, false); !errors.Is(err, ErrNoTrustStore) {
		t.Errorf("needClientAuth without trustStore: %v", err)
	}
}

// Keys and certificates in any order, RSA PKCS#1, EC SEC 1 and PKCS#8.
func TestPEMLayouts(t *testing.T) {
	p := newPKI(t)
	rsaLeaf := p.ca.leaf(t, "localhost", false, true)
	layouts := map[string][][]byte{
		"key first, CA before leaf (PKCS#1)": {rsaLeaf.keyPEM(t, true), p.ca.certPEM(), rsaLeaf.certPEM()},
		"PKCS#8 RSA":                         {rsaLeaf.certPEM(), rsaLeaf.keyPEM(t, false)},
		"SEC 1 EC with chain":                {p.server.certPEM(), p.ca.certPEM(), p.server.keyPEM(t, true)},
	}
	for name, parts := range layouts {
		file := writeFile(t, p.dir, "layout.pem", parts...)
		srv, err := Server(&config.SSLContext{KeyStore: file}, false, false)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if _, serr, cerr := handshake(t, srv, mustClient(t, p.clientSSL(""), "localhost")); serr != nil || cerr != nil {
			t.Errorf("%s: server %v, client %v", name, serr, cerr)
		}
	}
}

func TestReload(t *testing.T) {
	p := newPKI(t)
	r, err := NewReloader(p.serverSSL())
	if err != nil {
		t.Fatal(err)
	}
	srv, err := r.Server(true, false)
	if err != nil {
		t.Fatal(err)
	}
	srv.NextProtos = []string{"mqtt"} // set after Server: must survive reloads
	serverSerial := func(cli *tls.Config) (*x509.Certificate, error) {
		t.Helper()
		var leaf *x509.Certificate
		cli = cli.Clone()
		cli.NextProtos = []string{"mqtt"}
		cli.VerifyConnection = func(cs tls.ConnectionState) error {
			leaf = cs.PeerCertificates[0]
			if cs.NegotiatedProtocol != "mqtt" {
				t.Errorf("ALPN %q", cs.NegotiatedProtocol)
			}
			return nil
		}
		_, serr, cerr := handshake(t, srv, cli)
		return leaf, errors.Join(serr, cerr)
	}
	cli := mustClient(t, p.clientSSL(p.clientFile), "localhost")
	leaf, err := serverSerial(cli)
	if err != nil || leaf.SerialNumber.Cmp(p.server.cert.SerialNumber) != 0 {
		t.Fatalf("before reload: %v %v", leaf, err)
	}

	// Renew: a new CA issues a new server and client certificate.
	ca2 := newCA(t, "Renewed CA")
	server2 := ca2.leaf(t, "localhost", false, false)
	client2 := ca2.leaf(t, "client", true, false)
	writeFile(t, p.dir, "server.pem", server2.certPEM(), server2.keyPEM(t, false))
	writeFile(t, p.dir, "ca.pem", ca2.certPEM())
	client2File := writeFile(t, p.dir, "client2.pem", client2.certPEM(), client2.keyPEM(t, false))
	if err := r.Reload(); err != nil {
		t.Fatal(err)
	}
	cli2 := mustClient(t, &config.SSLContext{KeyStore: client2File, TrustStore: p.caFile}, "localhost")
	leaf, err = serverSerial(cli2)
	if err != nil || leaf.SerialNumber.Cmp(server2.cert.SerialNumber) != 0 {
		t.Fatalf("after reload: %v %v", leaf, err)
	}
	// The old client certificate's CA is no longer trusted.
	oldClient := mustClient(t, &config.SSLContext{KeyStore: p.clientFile, TrustStore: p.caFile}, "localhost")
	if _, err := serverSerial(oldClient); err == nil {
		t.Error("client certificate of the replaced CA still accepted")
	}

	// A broken file keeps the previous material.
	writeFile(t, p.dir, "server.pem", server2.certPEM())
	if err := r.Reload(); !errors.Is(err, ErrNoKey) {
		t.Fatalf("Reload of a broken key store: %v", err)
	}
	if leaf, err := serverSerial(cli2); err != nil || leaf.SerialNumber.Cmp(server2.cert.SerialNumber) != 0 {
		t.Errorf("after failed reload: %v %v", leaf, err)
	}
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Reloads while handshakes run (for the race detector).
func TestReloadConcurrent(t *testing.T) {
	p := newPKI(t)
	r, err := NewReloader(p.serverSSL())
	if err != nil {
		t.Fatal(err)
	}
	srv, err := r.Server(false, true)
	if err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	reloaded := make(chan error, 1)
	go func() {
		var err error
		for {
			select {
			case <-stop:
				reloaded <- err
				return
			default:
			}
			err = errors.Join(err, r.Reload())
		}
	}()
	cli := mustClient(t, p.clientSSL(p.clientFile), "localhost")
	for range 10 {
		if _, serr, cerr := handshake(t, srv, cli); serr != nil || cerr != nil {
			t.Errorf("server %v, client %v", serr, cerr)
		}
	}
	close(stop)
	if err := <-reloaded; err != nil {
		t.Error(err)
	}
}
