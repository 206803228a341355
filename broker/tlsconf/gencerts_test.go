package tlsconf

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashi-broker/hashi/config"
)

// scripts/gen-certs.sh makes material that Server and Client load and that
// completes a handshake with a required client certificate.
func TestGenCertsScript(t *testing.T) {
	if _, err := exec.LookPath("openssl"); err != nil {
		skipOrFail(t, "openssl not installed")
	}
	if _, err := exec.LookPath("bash"); err != nil {
		skipOrFail(t, "bash not installed")
	}
	dir := t.TempDir()
	script, err := filepath.Abs("../../scripts/gen-certs.sh")
	if err != nil {
		t.Fatal(err)
	}
	run := func() {
		t.Helper()
		out, err := exec.Command("bash", script, dir, "broker1.example.com", "10.0.0.5").CombinedOutput()
		if err != nil {
			t.Fatalf("gen-certs.sh: %v\n%s", err, out)
		}
		if !strings.Contains(string(out), "server.p12") {
			t.Errorf("output does not list what was made:\n%s", out)
		}
	}
	run()
	run() // idempotent: a second run overwrites
	f := func(name string) string { return filepath.Join(dir, name) }

	keyStores := map[string]*config.SSLContext{
		"server.pem": {KeyStore: f("server.pem"), TrustStore: f("ca.pem")},
		"server.p12": {KeyStore: f("server.p12"), KeyStorePassword: "changeit", TrustStore: f("ca.pem")},
	}
	clients := map[string]*config.SSLContext{
		"client.pem": {KeyStore: f("client.pem"), TrustStore: f("ca.pem")},
	}
	for name, ssl := range keyStores {
		srv := mustServer(t, ssl, true, false)
		for cname, cssl := range clients {
			for _, host := range []string{"localhost", "127.0.0.1", "broker1.example.com", "10.0.0.5"} {
				st, serr, cerr := handshake(t, srv, mustClient(t, cssl, host))
				if serr != nil || cerr != nil {
					t.Errorf("%s / %s / %s: server %v, client %v", name, cname, host, serr, cerr)
					continue
				}
				if cn := st.PeerCertificates[0].Subject.CommonName; cn != "client" {
					t.Errorf("client CN %q", cn)
				}
			}
		}
	}
	// The separate certificate and key files make a key store too.
	sep := writeFile(t, dir, "joined.pem", readFile(t, f("server-cert.pem")), readFile(t, f("server-key.pem")))
	if _, err := Server(&config.SSLContext{KeyStore: sep}, false, false); err != nil {
		t.Error(err)
	}
}

// A PKCS#12 file in the modern form (AES, PBKDF2, SHA-256 MAC: openssl 3 and
// JDK keytool defaults) is refused with the conversion command.
func TestModernPKCS12Help(t *testing.T) {
	if _, err := exec.LookPath("openssl"); err != nil {
		skipOrFail(t, "openssl not installed")
	}
	p := newPKI(t)
	cert := writeFile(t, p.dir, "cert.pem", p.server.certPEM())
	key := writeFile(t, p.dir, "key.pem", p.server.keyPEM(t, false))
	out := filepath.Join(p.dir, "modern.p12")
	if b, err := exec.Command("openssl", "pkcs12", "-export", "-in", cert, "-inkey", key,
		"-passout", "pass:changeit", "-out", out).CombinedOutput(); err != nil {
		t.Fatalf("openssl: %v\n%s", err, b)
	}
	_, err := Server(&config.SSLContext{KeyStore: out, KeyStorePassword: "changeit"}, false, false)
	if err == nil {
		t.Skip("this openssl writes legacy PKCS#12 by default")
	}
	if !strings.Contains(err.Error(), "openssl pkcs12 -in "+out+" -out "+filepath.Join(p.dir, "modern.pem")+" -nodes") {
		t.Errorf("error lacks the conversion command: %v", err)
	}
}

// skipOrFail skips, unless scripts/test.sh asked for every test dependency
// to be present (HASHI_REQUIRE_DEPS), so a missing install step fails CI.
func skipOrFail(t *testing.T, why string) {
	t.Helper()
	if os.Getenv("HASHI_REQUIRE_DEPS") != "" {
		t.Fatal(why + " (scripts/test.sh installs it)")
	}
	t.Skip(why)
}
