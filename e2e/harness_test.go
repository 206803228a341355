// Package e2e drives the built hashi binary with real clients over real
// sockets: mosquitto_pub/mosquitto_sub from Debian, paho.mqtt.golang (3.1.1),
// paho.golang (5.0), go-stomp and stomp.py.
//
// The binary comes from $HASHI_BIN (scripts/test.sh builds it) or is built
// once into a temporary directory by TestMain.
package e2e

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

var hashiBin string

func TestMain(m *testing.M) {
	hashiBin = os.Getenv("HASHI_BIN")
	var tmp string
	if hashiBin == "" {
		var err error
		tmp, err = os.MkdirTemp("", "hashi-e2e-bin")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		hashiBin = filepath.Join(tmp, "hashi")
		cmd := exec.Command("go", "build", "-o", hashiBin, "../cmd/hashi")
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		if err := cmd.Run(); err != nil {
			fmt.Fprintln(os.Stderr, "building hashi:", err)
			os.Exit(1)
		}
	}
	code := m.Run()
	if tmp != "" {
		os.RemoveAll(tmp)
	}
	os.Exit(code)
}

// proc is a running hashi broker process.
type proc struct {
	t     testing.TB
	cmd   *exec.Cmd
	dir   string
	mu    sync.Mutex
	lines []map[string]any
	raw   bytes.Buffer
	addrs map[string]string
	done  chan struct{}
	exit  error
}

// startBroker writes configXML (if not empty) into a fresh directory and
// starts `hashi broker` there with JSON logs. Connectors should use port 0;
// their bound addresses are read from the log. The admin listener is off
// unless args include --admin (use 127.0.0.1:0; proc.addr("admin")).
func startBroker(t testing.TB, configXML string, args ...string) *proc {
	t.Helper()
	dir := t.TempDir()
	return startBrokerIn(t, dir, configXML, args...)
}

func startBrokerIn(t testing.TB, dir, configXML string, args ...string) *proc {
	t.Helper()
	full := append([]string{"broker", "--log-json", "--log-level", "debug"}, args...)
	if configXML != "" {
		path := filepath.Join(dir, "activemq.xml")
		if err := os.WriteFile(path, []byte(configXML), 0o644); err != nil {
			t.Fatal(err)
		}
		full = append(full, "--config", path)
	}
	cmd := exec.Command(hashiBin, full...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "HASHI_ADMIN=")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout = io.Discard
	p := &proc{t: t, cmd: cmd, dir: dir, addrs: map[string]string{}, done: make(chan struct{})}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go p.readLog(stderr)
	t.Cleanup(func() { p.stop(syscall.SIGKILL) })
	waitFor(t, 20*time.Second, "broker started", func() bool {
		select {
		case <-p.done:
			t.Fatalf("hashi exited early: %v\n%s", p.exit, p.log())
		default:
		}
		return p.has("broker started")
	})
	return p
}

func (p *proc) readLog(r io.Reader) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Bytes()
		var m map[string]any
		p.mu.Lock()
		p.raw.Write(line)
		p.raw.WriteByte('\n')
		if json.Unmarshal(line, &m) == nil {
			p.lines = append(p.lines, m)
			switch m["@message"] {
			case "transport connector started":
				p.addrs[fmt.Sprint(m["name"])] = fmt.Sprint(m["addr"])
			case "admin listener started":
				p.addrs["admin"] = fmt.Sprint(m["addr"])
			}
		}
		p.mu.Unlock()
	}
	p.exit = p.cmd.Wait()
	close(p.done)
}

// addr returns host:port of the named transport connector.
func (p *proc) addr(name string) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	a, ok := p.addrs[name]
	if !ok {
		p.t.Fatalf("no transport connector %q started; have %v", name, p.addrs)
	}
	return a
}

// port returns the port of the named connector.
func (p *proc) port(name string) string {
	a := p.addr(name)
	return a[strings.LastIndexByte(a, ':')+1:]
}

// has reports whether a log line's message contains substr.
func (p *proc) has(substr string) bool { return len(p.find(substr)) > 0 }

// find returns the log lines whose message contains substr.
func (p *proc) find(substr string) []map[string]any {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []map[string]any
	for _, m := range p.lines {
		if msg, _ := m["@message"].(string); strings.Contains(msg, substr) {
			out = append(out, m)
		}
	}
	return out
}

func (p *proc) log() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.raw.String()
}

// stop sends sig and waits for the process to exit (at most 15 s).
func (p *proc) stop(sig syscall.Signal) error {
	select {
	case <-p.done:
		return p.exit
	default:
	}
	p.cmd.Process.Signal(sig)
	select {
	case <-p.done:
		return p.exit
	case <-time.After(15 * time.Second):
		p.cmd.Process.Kill()
		<-p.done
		return fmt.Errorf("did not exit within 15 s of %v", sig)
	}
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// brokerXML wraps broker children in a bare <broker> root (Amazon MQ shape).
func brokerXML(attrs, children string) string {
	return `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<broker xmlns="http://activemq.apache.org/schema/core" brokerName="e2e" dataDirectory="data" ` + attrs + `>
` + children + `
</broker>
`
}

func needCmd(t testing.TB, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("%s not installed: run scripts/test.sh, which installs the test dependencies", name)
	}
	return path
}
