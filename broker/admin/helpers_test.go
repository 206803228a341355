package admin_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"go.uber.org/goleak"

	"github.com/hashi-broker/hashi/broker/server"
	"github.com/hashi-broker/hashi/xml"
)

// The handler tests run real brokers (broker/server) with the admin
// listener on a loopback port and speak HTTP to it, as the console and
// scripts do.

// TestMain fails the run if a test leaves goroutines behind. network
// closes a bridge's socket two seconds after its link ends, in a goroutine
// nothing waits for (network/link.go), so leaks are looked for a while.
func TestMain(m *testing.M) {
	code := m.Run()
	if code == 0 {
		deadline := time.Now().Add(5 * time.Second)
		err := goleak.Find()
		for err != nil && time.Now().Before(deadline) {
			time.Sleep(200 * time.Millisecond)
			err = goleak.Find()
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "goroutines left behind:", err)
			code = 1
		}
	}
	os.Exit(code)
}

// Users of the test brokers: admin and console may use the console, app
// may not.
const (
	adminUser, adminPass     = "admin", "s3cret"
	consoleUser, consolePass = "operator", "op-pass"
	appUser, appPass         = "app", "app-pass"
)

// brokerXML is a broker named name with the three users, MQTT and a
// bridge-capable tcp:// connector on loopback port 0, plus extra children.
func brokerXML(name, dataDir, extra string) string {
	return `<?xml version="1.0" encoding="UTF-8"?>
<broker xmlns="http://activemq.apache.org/schema/core" brokerName="` + name + `" dataDirectory="` + dataDir + `">
  <plugins>
    <simpleAuthenticationPlugin anonymousAccessAllowed="false">
      <users>
        <authenticationUser username="` + adminUser + `" password="` + adminPass + `" groups="admins"/>
        <authenticationUser username="` + consoleUser + `" password="` + consolePass + `" groups="activemq-webconsole"/>
        <authenticationUser username="` + appUser + `" password="` + appPass + `" groups="users"/>
      </users>
    </simpleAuthenticationPlugin>
  </plugins>
` + extra + `
  <transportConnectors>
    <transportConnector name="mqtt" uri="mqtt://127.0.0.1:0"/>
    <transportConnector name="tcp" uri="tcp://127.0.0.1:0"/>
  </transportConnectors>
</broker>
`
}

// env is one running broker with its admin listener.
type env struct {
	t    *testing.T
	srv  *server.Server
	base string // http://host:port
	file string // the activemq.xml it runs
	dir  string
}

// start runs a broker from text (written to a file in a fresh directory,
// with DATA replaced by a data directory there).
func start(t *testing.T, name string, text func(dataDir string) string) *env {
	t.Helper()
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	body := []byte(text(data))
	file := filepath.Join(dir, "activemq.xml")
	if err := os.WriteFile(file, body, 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, ps := xml.Load(file, body, xml.Options{WorkDir: dir})
	if cfg == nil || ps.HasErrors() {
		t.Fatalf("test configuration: %v", ps)
	}
	log := hclog.New(&hclog.LoggerOptions{Name: name, Level: hclog.Warn, Output: io.Discard})
	if testing.Verbose() {
		log = hclog.New(&hclog.LoggerOptions{Name: name, Level: hclog.Info, Output: os.Stderr})
	}
	srv, err := server.NewWithOptions(cfg, log, server.Options{
		AdminAddr: "127.0.0.1:0", ConfigPath: file, ConfigText: body,
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
	})
	return &env{t: t, srv: srv, base: "http://" + srv.AdminAddr().String(), file: file, dir: dir}
}

// startDefault runs the usual test broker.
func startDefault(t *testing.T) *env {
	return start(t, "admintest", func(data string) string { return brokerXML("admintest", data, "") })
}

// client is an HTTP client of the admin API: a cookie session after
// login, or HTTP Basic when basic is set.
type client struct {
	e     *env
	hc    *http.Client
	csrf  string
	user  string
	pass  string
	basic bool
}

func (e *env) anonymous() *client {
	jar, _ := cookiejar.New(nil)
	hc := &http.Client{Jar: jar, Timeout: 15 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	return &client{e: e, hc: hc}
}

// login logs in and fails the test unless it worked.
func (e *env) login(user, pass string) *client {
	e.t.Helper()
	c := e.anonymous()
	var out struct {
		User string `json:"user"`
		CSRF string `json:"csrf"`
	}
	c.mustJSON(http.StatusOK, "POST", "/api/v1/login", map[string]string{"user": user, "password": pass}, &out)
	if out.User != user || out.CSRF == "" {
		e.t.Fatalf("login answered %+v", out)
	}
	c.csrf = out.CSRF
	return c
}

func (e *env) admin() *client { return e.login(adminUser, adminPass) }

// basicClient uses HTTP Basic with any CSRF header value.
func (e *env) basicClient(user, pass string) *client {
	c := e.anonymous()
	c.user, c.pass, c.basic = user, pass, true
	c.csrf = "anything"
	return c
}

// resp is an answer: status, headers and body.
type resp struct {
	status int
	header http.Header
	body   []byte
}

func (r resp) json(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("answer is not JSON (%v): %s", err, r.body)
	}
}

func (r resp) errorText(t *testing.T) string {
	t.Helper()
	var e struct {
		Error string `json:"error"`
	}
	r.json(t, &e)
	return e.Error
}

// do sends a request; body is JSON-encoded unless it is a string (sent as
// XML) or nil. hdr adds headers ("Name: value").
func (c *client) do(method, path string, body any, hdr ...string) resp {
	c.e.t.Helper()
	var rd io.Reader
	ctype := ""
	switch b := body.(type) {
	case nil:
	case string:
		rd, ctype = strings.NewReader(b), "application/xml"
	case []byte:
		rd, ctype = bytes.NewReader(b), "application/json"
	default:
		j, err := json.Marshal(b)
		if err != nil {
			c.e.t.Fatal(err)
		}
		rd, ctype = bytes.NewReader(j), "application/json"
	}
	req, err := http.NewRequest(method, c.e.base+path, rd)
	if err != nil {
		c.e.t.Fatal(err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if c.basic {
		req.SetBasicAuth(c.user, c.pass)
	}
	if method != "GET" && c.csrf != "" {
		req.Header.Set("X-CSRF-Token", c.csrf)
	}
	for _, h := range hdr {
		k, v, _ := strings.Cut(h, ":")
		if v = strings.TrimSpace(v); v == "" {
			req.Header.Del(k)
		} else {
			req.Header.Set(k, v)
		}
	}
	res, err := c.hc.Do(req)
	if err != nil {
		c.e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		c.e.t.Fatal(err)
	}
	return resp{res.StatusCode, res.Header, b}
}

// mustJSON sends a request, checks the status and decodes the answer into
// out (when not nil).
func (c *client) mustJSON(status int, method, path string, body, out any, hdr ...string) resp {
	c.e.t.Helper()
	r := c.do(method, path, body, hdr...)
	if r.status != status {
		c.e.t.Fatalf("%s %s: status %d, want %d: %s", method, path, r.status, status, r.body)
	}
	if out != nil {
		r.json(c.e.t, out)
	}
	return r
}
