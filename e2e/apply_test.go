package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// `hashi apply` changes a running broker without a restart: a new user can
// log in, a subscriber whose read right is removed loses its subscription at
// once, an added transport connector listens and a removed one closes, while
// connections on untouched connectors stay up.
func TestApplyLive(t *testing.T) {
	cfg := func(users, entries, extraConnector string) string {
		return brokerXML("", `
  <plugins>
    <simpleAuthenticationPlugin>
      <users>
        <authenticationUser username="admin" password="adm" groups="admins"/>
        <authenticationUser username="app" password="app" groups="apps"/>
        `+users+`
      </users>
    </simpleAuthenticationPlugin>
    <authorizationPlugin><map><authorizationMap><authorizationEntries>
      <authorizationEntry topic=">" read="admins" write="admins" admin="admins"/>
      `+entries+`
    </authorizationEntries></authorizationMap></map></authorizationPlugin>
  </plugins>
  <transportConnectors>
    <transportConnector name="mqtt" uri="mqtt://127.0.0.1:0"/>
    `+extraConnector+`
  </transportConnectors>`)
	}
	appRead := `<authorizationEntry topic="telemetry.>" read="apps" write="apps"/>`
	b := startBroker(t, cfg("", appRead, ""), "--admin", "127.0.0.1:0")
	h, p := "127.0.0.1", b.port("mqtt")

	sub := startSub(t, "-h", h, "-p", p, "-u", "app", "-P", "app", "-t", "telemetry/#", "-v")
	watch := startSub(t, "-h", h, "-p", p, "-u", "admin", "-P", "adm", "-t", "telemetry/#", "-v")
	mustPub(t, "-h", h, "-p", p, "-u", "app", "-P", "app", "-t", "telemetry/1", "-m", "before")
	sub.waitMessages(1)
	watch.waitMessages(1)

	apply := func(xml string) string {
		t.Helper()
		path := filepath.Join(t.TempDir(), "new.xml")
		os.WriteFile(path, []byte(xml), 0o644)
		out, errOut, code := hashi(t, b.dir, "apply", "--admin", b.addr("admin"), "--user", "admin", "--password", "adm", "-m", "test", path)
		if code != 0 {
			t.Fatalf("hashi apply: exit %d\n%s%s", code, out, errOut)
		}
		return out
	}

	// Invalid files are refused with positions and change nothing.
	bad := filepath.Join(t.TempDir(), "bad.xml")
	os.WriteFile(bad, []byte("<broker xmlns=\"http://activemq.apache.org/schema/core\">\n<plugins>\n</broker>\n"), 0o644)
	_, errOut, code := hashi(t, b.dir, "apply", "--admin", b.addr("admin"), "--user", "admin", "--password", "adm", bad)
	if code != 1 || !strings.Contains(errOut, ":3:") {
		t.Fatalf("invalid apply: exit %d, %s", code, errOut)
	}

	// Add user carol and a second connector; take the apps' read right away.
	out := apply(cfg(`<authenticationUser username="carol" password="c" groups="admins"/>`,
		`<authorizationEntry topic="telemetry.>" write="apps"/>`,
		`<transportConnector name="mqtt2" uri="mqtt://127.0.0.1:0"/>`))
	if !strings.Contains(out, "revision 2") || !strings.Contains(out, "mqtt2") {
		t.Fatalf("apply output: %s", out)
	}
	waitFor(t, 10*time.Second, "the new connector", func() bool { return b.has("transport connector started") && b.addrOK("mqtt2") })
	mustPub(t, "-h", h, "-p", b.port("mqtt2"), "-u", "carol", "-P", "c", "-t", "x", "-m", "new user, new port")
	// The app's subscription is gone: its next message is not delivered.
	waitFor(t, 10*time.Second, "revocation logged", func() bool { return b.has("subscription revoked") })
	mustPub(t, "-h", h, "-p", p, "-u", "app", "-P", "app", "-t", "telemetry/1", "-m", "after")
	mustPub(t, "-h", h, "-p", p, "-u", "admin", "-P", "adm", "-t", "telemetry/1", "-m", "after-admin")
	// The admin's subscription shows both were delivered by now.
	watch.waitMessages(3)
	if got := sub.messages(); len(got) != 1 {
		t.Fatalf("revoked subscriber still receives: %q", got)
	}
	if sub.exited() {
		t.Fatal("the subscriber's connection was closed; only the subscription should go")
	}

	// Remove mqtt2 again: its listener closes, the first one stays.
	apply(cfg(`<authenticationUser username="carol" password="c" groups="admins"/>`, appRead, ""))
	port2 := b.port("mqtt2")
	waitFor(t, 10*time.Second, "mqtt2 closed", func() bool {
		_, err := pub(t, "-h", h, "-p", port2, "-u", "carol", "-P", "c", "-t", "x", "-m", "x")
		return err != nil
	})
	mustPub(t, "-h", h, "-p", p, "-u", "carol", "-P", "c", "-t", "x", "-m", "still here")
}

// addrOK reports whether the named connector has started.
func (p *proc) addrOK(name string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	_, ok := p.addrs[name]
	return ok
}
