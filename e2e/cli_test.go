package e2e

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

func hashi(t testing.TB, dir string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command(hashiBin, args...)
	cmd.Dir = dir
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return o.String(), e.String(), code
}

func TestCheckCommand(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "activemq.xml")
	os.WriteFile(good, []byte(`<beans xmlns="http://www.springframework.org/schema/beans">
  <bean class="org.springframework.beans.factory.config.PropertyPlaceholderConfigurer"/>
  <broker xmlns="http://activemq.apache.org/schema/core" brokerName="tokyo">
    <plugins>
      <simpleAuthenticationPlugin>
        <users><authenticationUser username="testuser" password="pw" groups="bridges,users"/></users>
      </simpleAuthenticationPlugin>
    </plugins>
    <transportConnectors>
      <transportConnector name="mqtt" uri="mqtt://0.0.0.0:1883?maximumConnections=1000"/>
    </transportConnectors>
  </broker>
</beans>`), 0o644)
	out, errOut, code := hashi(t, dir, "check", good)
	if code != 0 {
		t.Fatalf("check of a good file: exit %d\n%s%s", code, out, errOut)
	}
	for _, want := range []string{"tokyo", "mqtt", "0.0.0.0:1883", "testuser", "bridges"} {
		if !strings.Contains(out, want) {
			t.Errorf("effective configuration lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "pw") && strings.Contains(out, "password=pw") {
		t.Errorf("password printed:\n%s", out)
	}
	if !regexp.MustCompile(`activemq\.xml:2:\d+: warning: .*bean`).MatchString(errOut) {
		t.Errorf("Spring bean not warned about with its line:\n%s", errOut)
	}

	bad := filepath.Join(dir, "bad.xml")
	os.WriteFile(bad, []byte(`<broker xmlns="http://activemq.apache.org/schema/core" persistent="maybe">
  <transportConnectors>
    <transportConnector name="x" uri="mqtt://127.0.0.1"/>
  </transportConnectors>
</broker>
`), 0o644)
	out, errOut, code = hashi(t, dir, "check", bad)
	if code != 1 {
		t.Fatalf("check of a bad file: exit %d\n%s%s", code, out, errOut)
	}
	if !regexp.MustCompile(`bad\.xml:1:\d+: .*persistent`).MatchString(errOut) ||
		!regexp.MustCompile(`bad\.xml:3:\d+: .*port`).MatchString(errOut) {
		t.Fatalf("problems not reported as FILE:LINE:COL:\n%s", errOut)
	}

	broken := filepath.Join(dir, "broken.xml")
	os.WriteFile(broken, []byte("<broker xmlns=\"http://activemq.apache.org/schema/core\">\n  <plugins>\n</broker>\n"), 0o644)
	_, errOut, code = hashi(t, dir, "check", broken)
	if code != 1 || !regexp.MustCompile(`broken\.xml:3:\d+: `).MatchString(errOut) {
		t.Fatalf("malformed XML: exit %d, %s", code, errOut)
	}

	out, _, code = hashi(t, dir, "version")
	if code != 0 || !strings.HasPrefix(out, "hashi ") {
		t.Fatalf("version: %d %q", code, out)
	}
}

// The embedded default binds loopback only, writes nothing outside its
// working directory, and stops within 10 s of SIGTERM with clients connected.
func TestDefaultConfigAndSignals(t *testing.T) {
	dir, home := t.TempDir(), t.TempDir()
	cmd := exec.Command(hashiBin, "broker", "--log-json")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "HOME="+home, "TMPDIR="+home)
	p := &proc{t: t, cmd: cmd, dir: dir, addrs: map[string]string{}, done: make(chan struct{})}
	stderr, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go p.readLog(stderr)
	t.Cleanup(func() { p.stop(syscall.SIGKILL) })
	waitFor(t, 10*time.Second, "broker started", func() bool {
		if p.exited() {
			t.Fatalf("default broker exited: %s", p.log())
		}
		return p.has("broker started")
	})
	want := map[string]string{"mqtt": "127.0.0.1:1883", "stomp": "127.0.0.1:61613", "ws": "127.0.0.1:61614"}
	for name, addr := range want {
		if got := p.addr(name); got != addr {
			t.Errorf("default connector %s on %s, want %s", name, got, addr)
		}
	}
	// A connected subscriber does not delay shutdown.
	startSub(t, "-h", "127.0.0.1", "-p", "1883", "-t", "x", "-q", "1")
	start := time.Now()
	if err := p.stop(syscall.SIGTERM); err != nil {
		t.Fatalf("SIGTERM: %v\n%s", err, p.log())
	}
	if el := time.Since(start); el > 10*time.Second {
		t.Fatalf("took %v to stop", el)
	}
	if !p.has("stopped") {
		t.Fatalf("no graceful stop logged:\n%s", p.log())
	}
	if ents, _ := os.ReadDir(home); len(ents) != 0 {
		t.Fatalf("broker wrote outside its working directory: %v", ents)
	}
}

func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// SIGHUP re-reads users and authorization entries; a file with errors keeps
// the running configuration.
func TestSIGHUPReloadsUsers(t *testing.T) {
	cfg := func(users string) string {
		return brokerXML("", `<plugins><simpleAuthenticationPlugin><users>`+users+`</users></simpleAuthenticationPlugin></plugins>`+mqttConnectorXML)
	}
	b := startBroker(t, cfg(`<authenticationUser username="alice" password="a" groups="users"/>`))
	h, port := "127.0.0.1", b.port("mqtt")
	mustPub(t, "-h", h, "-p", port, "-u", "alice", "-P", "a", "-t", "x", "-m", "1")
	if _, err := pub(t, "-h", h, "-p", port, "-u", "bob", "-P", "b", "-t", "x", "-m", "1"); err == nil {
		t.Fatal("bob accepted before he exists")
	}
	path := filepath.Join(b.dir, "activemq.xml")
	os.WriteFile(path, []byte(cfg(`<authenticationUser username="bob" password="b" groups="users"/>`)), 0o644)
	b.cmd.Process.Signal(syscall.SIGHUP)
	waitFor(t, 10*time.Second, "reload", func() bool { return b.has("reloaded") })
	mustPub(t, "-h", h, "-p", port, "-u", "bob", "-P", "b", "-t", "x", "-m", "1")
	if _, err := pub(t, "-h", h, "-p", port, "-u", "alice", "-P", "a", "-t", "x", "-m", "1"); err == nil {
		t.Fatal("alice still accepted after she was removed")
	}

	os.WriteFile(path, []byte("<broker xmlns=\"http://activemq.apache.org/schema/core\"><plugins>"), 0o644)
	b.cmd.Process.Signal(syscall.SIGHUP)
	waitFor(t, 10*time.Second, "refused reload", func() bool { return b.has("keeping the running one") })
	mustPub(t, "-h", h, "-p", port, "-u", "bob", "-P", "b", "-t", "x", "-m", "1")
}
