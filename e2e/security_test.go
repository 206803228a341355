package e2e

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// genCerts runs scripts/gen-certs.sh into a temporary directory.
func genCerts(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	out, err := exec.Command("../scripts/gen-certs.sh", dir).CombinedOutput()
	if err != nil {
		t.Fatalf("gen-certs.sh: %v\n%s", err, out)
	}
	return dir
}

// The self-run broker of the scenarios: users with hashed passwords, the
// three-role authorization entry, plain MQTT on loopback and TLS beside it.
func TestMosquittoAuthAndTLS(t *testing.T) {
	certs := genCerts(t)
	hash := passwd(t, "s3cret")
	cfg := brokerXML("", `
  <plugins>
    <simpleAuthenticationPlugin anonymousAccessAllowed="false">
      <users>
        <authenticationUser username="admin" password="`+hash+`" groups="admin"/>
        <authenticationUser username="publisher" password="pub-pass" groups="publisher"/>
        <authenticationUser username="subscriber" password="sub-pass" groups="subscriber"/>
      </users>
    </simpleAuthenticationPlugin>
    <authorizationPlugin><map><authorizationMap><authorizationEntries>
      <authorizationEntry topic=">" write="admin, publisher" read="admin, subscriber" admin="admin,publisher"/>
    </authorizationEntries></authorizationMap></map></authorizationPlugin>
  </plugins>
  <sslContext><sslContext keyStore="file:`+filepath.Join(certs, "server.pem")+`" trustStore="`+filepath.Join(certs, "ca.pem")+`"/></sslContext>
  <transportConnectors>
    <transportConnector name="mqtt" uri="mqtt://127.0.0.1:0"/>
    <transportConnector name="mqtts" uri="mqtt+ssl://127.0.0.1:0"/>
    <transportConnector name="mqtts-mutual" uri="mqtt+ssl://127.0.0.1:0?transport.needClientAuth=true"/>
  </transportConnectors>`)
	b := startBroker(t, cfg)
	h, p := "127.0.0.1", b.port("mqtt")

	t.Run("roles", func(t *testing.T) {
		sub := startSub(t, "-h", h, "-p", p, "-u", "subscriber", "-P", "sub-pass", "-t", "devices/#", "-v", "-q", "1")
		mustPub(t, "-h", h, "-p", p, "-u", "publisher", "-P", "pub-pass", "-t", "devices/1/state", "-q", "1", "-m", "from-publisher")
		// The subscriber may not publish: on MQTT 3.1.1 the publish is
		// acknowledged and dropped, as ActiveMQ does.
		mustPub(t, "-h", h, "-p", p, "-u", "subscriber", "-P", "sub-pass", "-t", "devices/1/state", "-q", "1", "-m", "from-subscriber")
		// The admin (bcrypt-hashed password) may do both.
		mustPub(t, "-h", h, "-p", p, "-u", "admin", "-P", "s3cret", "-t", "devices/1/state", "-q", "1", "-m", "from-admin")
		got := sub.waitMessages(2)
		if strings.Join(got, "|") != "devices/1/state from-publisher|devices/1/state from-admin" {
			t.Fatalf("subscriber got %q", got)
		}
		// The publisher may not subscribe: SUBACK 0x80.
		denied := startSub(t, "-h", h, "-p", p, "-u", "publisher", "-P", "pub-pass", "-t", "devices/#")
		waitFor(t, 10*time.Second, "denied subscription", func() bool { return denied.seen("denied") || denied.seen("128") })
		waitFor(t, 5*time.Second, "audit log lines", func() bool {
			return len(b.find("denied")) >= 2
		})
		var sawWrite, sawRead bool
		for _, l := range b.find("denied") {
			if l["user"] == "subscriber" && l["action"] == "write" && l["destination"] == "topic://devices.1.state" {
				sawWrite = true
			}
			if l["user"] == "publisher" && l["action"] == "read" && l["destination"] == "topic://devices.>" {
				sawRead = true
			}
		}
		if !sawWrite || !sawRead {
			t.Fatalf("denials not logged with user/action/destination: %v", b.find("denied"))
		}
	})

	t.Run("bad password", func(t *testing.T) {
		out, err := pub(t, "-h", h, "-p", p, "-u", "publisher", "-P", "wrong", "-t", "x", "-m", "x")
		if err == nil || !strings.Contains(strings.ToLower(out), "not authori") {
			t.Fatalf("wrong password accepted or wrong refusal: %v %s", err, out)
		}
		out, err = pub(t, "-h", h, "-p", p, "-t", "x", "-m", "x") // anonymous
		if err == nil {
			t.Fatalf("anonymous accepted: %s", out)
		}
	})

	t.Run("tls", func(t *testing.T) {
		tp := b.port("mqtts")
		sub := startSub(t, "-h", "localhost", "-p", tp, "--cafile", filepath.Join(certs, "ca.pem"),
			"-u", "subscriber", "-P", "sub-pass", "-t", "secure/#", "-v")
		mustPub(t, "-h", "localhost", "-p", tp, "--cafile", filepath.Join(certs, "ca.pem"), "--tls-version", "tlsv1.2",
			"-u", "publisher", "-P", "pub-pass", "-t", "secure/a", "-m", "over-tls")
		if got := sub.waitMessages(1); got[0] != "secure/a over-tls" {
			t.Fatalf("got %q", got)
		}
		// Plain MQTT to the TLS port fails.
		if out, err := pub(t, "-h", "localhost", "-p", tp, "-u", "publisher", "-P", "pub-pass", "-t", "x", "-m", "x"); err == nil {
			t.Fatalf("plain client accepted on TLS port: %s", out)
		}
	})

	t.Run("client certificates", func(t *testing.T) {
		mp := b.port("mqtts-mutual")
		ca := filepath.Join(certs, "ca.pem")
		out, err := pub(t, "-h", "localhost", "-p", mp, "--cafile", ca, "-u", "publisher", "-P", "pub-pass", "-t", "x", "-m", "x")
		if err == nil {
			t.Fatalf("client without certificate accepted: %s", out)
		}
		mustPub(t, "-h", "localhost", "-p", mp, "--cafile", ca, "--cert", filepath.Join(certs, "client-cert.pem"),
			"--key", filepath.Join(certs, "client-key.pem"), "-u", "publisher", "-P", "pub-pass", "-t", "x", "-m", "x")
		if !b.has("TLS handshake failed") {
			t.Fatal("refused handshake not logged")
		}
	})
}

// passwd runs `hashi passwd` and returns the bcrypt hash.
func passwd(t testing.TB, pw string) string {
	t.Helper()
	cmd := exec.Command(hashiBin, "passwd")
	cmd.Stdin = strings.NewReader(pw + "\n")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("hashi passwd: %v", err)
	}
	h := strings.TrimSpace(string(out))
	if !strings.HasPrefix(h, "$2") {
		t.Fatalf("hashi passwd printed %q, want a bcrypt hash", h)
	}
	return h
}
