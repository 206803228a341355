package admin_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/hashi-broker/hashi/broker"
	"github.com/hashi-broker/hashi/broker/admin"
	"github.com/hashi-broker/hashi/config"
	"github.com/hashi-broker/hashi/network"
	"github.com/hashi-broker/hashi/xml"
)

// These tests build the admin listener directly (admin.Listen) over a
// broker core, to set options the server does not expose, and call its
// Handler without a network.

type direct struct {
	t     *testing.T
	srv   *admin.Server
	ready atomic.Bool
}

func listenDirect(t *testing.T, text string, opts admin.Options) *direct {
	t.Helper()
	cfg, ps := xml.Load("activemq.xml", []byte(text), xml.Options{})
	if cfg == nil || ps.HasErrors() {
		t.Fatalf("test configuration: %v", ps)
	}
	log := hclog.NewNullLogger()
	core, err := broker.New(cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	nm := network.New(core, cfg, log)
	d := &direct{t: t}
	d.ready.Store(true)
	opts.Addr = "127.0.0.1:0"
	srv, err := admin.Listen(admin.Backend{
		Core: core, Network: nm,
		Config:     func() *config.Config { return cfg },
		Connectors: func() []admin.ConnectorInfo { return nil },
		Apply:      func(*config.Config) (any, error) { return nil, nil },
		Ready:      d.ready.Load,
		Version:    "test",
		ConfigText: []byte(text),
	}, opts, log)
	if err != nil {
		t.Fatal(err)
	}
	d.srv = srv
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
		nm.Stop(ctx)
		core.Shutdown(ctx)
	})
	return d
}

// call runs one request through the handler; cookie is "name=value" or "".
func (d *direct) call(method, path, body, cookie, csrf string) *httptest.ResponseRecorder {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, path, rd)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if cookie != "" {
		req.Header.Set("Cookie", cookie)
	}
	if csrf != "" {
		req.Header.Set("X-CSRF-Token", csrf)
	}
	w := httptest.NewRecorder()
	d.srv.Handler().ServeHTTP(w, req)
	return w
}

// login returns the session cookie and CSRF token.
func (d *direct) login(body string) (string, string) {
	d.t.Helper()
	w := d.call("POST", "/api/v1/login", body, "", "")
	if w.Code != http.StatusOK {
		d.t.Fatalf("login: %d %s", w.Code, w.Body)
	}
	var out struct {
		CSRF string `json:"csrf"`
	}
	json.Unmarshal(w.Body.Bytes(), &out)
	ck := w.Result().Cookies()
	if len(ck) != 1 || out.CSRF == "" {
		d.t.Fatalf("login set cookies %v, csrf %q", ck, out.CSRF)
	}
	return ck[0].Name + "=" + ck[0].Value, out.CSRF
}

const authXML = `<broker xmlns="http://activemq.apache.org/schema/core" brokerName="direct">
  <plugins><simpleAuthenticationPlugin><users>
    <authenticationUser username="admin" password="pw" groups="admins"/>
    <authenticationUser username="ops" password="pw" groups="operators"/>
  </users></simpleAuthenticationPlugin></plugins>
</broker>`

func TestSessionExpires(t *testing.T) {
	const idle = 150 * time.Millisecond
	d := listenDirect(t, authXML, admin.Options{SessionIdle: idle})
	cookie, csrf := d.login(`{"user":"admin","password":"pw"}`)
	// Requests keep the session alive.
	for i := 0; i < 4; i++ {
		if w := d.call("GET", "/api/v1/session", "", cookie, ""); w.Code != http.StatusOK {
			t.Fatalf("request %d within the idle time: %d", i, w.Code)
		}
		time.Sleep(idle / 3)
	}
	time.Sleep(idle * 2) // the session's idle time passes
	if w := d.call("GET", "/api/v1/session", "", cookie, ""); w.Code != http.StatusUnauthorized {
		t.Fatalf("after the idle time: %d, want 401", w.Code)
	}
	if w := d.call("POST", "/api/v1/queues", `{"name":"q"}`, cookie, csrf); w.Code != http.StatusUnauthorized {
		t.Fatalf("change after the idle time: %d, want 401", w.Code)
	}
}

func TestConsoleGroupsOption(t *testing.T) {
	d := listenDirect(t, authXML, admin.Options{ConsoleGroups: []string{"operators"}})
	if w := d.call("POST", "/api/v1/login", `{"user":"admin","password":"pw"}`, "", ""); w.Code != http.StatusForbidden {
		t.Fatalf("admins outside --console-groups: %d, want 403", w.Code)
	}
	d.login(`{"user":"ops","password":"pw"}`)
}

func TestReadyz(t *testing.T) {
	d := listenDirect(t, authXML, admin.Options{})
	if w := d.call("GET", "/readyz", "", "", ""); w.Code != http.StatusOK || w.Body.String() != "ready\n" {
		t.Fatalf("readyz once started: %d %q", w.Code, w.Body)
	}
	d.ready.Store(false)
	if w := d.call("GET", "/readyz", "", "", ""); w.Code != http.StatusServiceUnavailable {
		t.Fatalf("readyz while not ready: %d, want 503", w.Code)
	}
	if w := d.call("GET", "/healthz", "", "", ""); w.Code != http.StatusOK || w.Body.String() != "ok\n" {
		t.Fatalf("healthz: %d %q", w.Code, w.Body)
	}
}

// Without an authentication plugin no login is needed; changes still need
// the CSRF header: the session's token once the console logged in with {},
// any value without a session (as with HTTP Basic).
func TestOpenBroker(t *testing.T) {
	d := listenDirect(t, `<broker xmlns="http://activemq.apache.org/schema/core" brokerName="open"/>`, admin.Options{})
	w := d.call("GET", "/api/v1/session", "", "", "")
	var s map[string]any
	json.Unmarshal(w.Body.Bytes(), &s)
	if w.Code != http.StatusOK || s["open"] != true || s["user"] != "anonymous" || s["csrf"] != nil {
		t.Fatalf("session without a login: %d %v", w.Code, s)
	}
	if w := d.call("POST", "/api/v1/queues", `{"name":"q"}`, "", ""); w.Code != http.StatusForbidden {
		t.Fatalf("change without the header: %d, want 403", w.Code)
	}
	if w := d.call("POST", "/api/v1/queues", `{"name":"q0"}`, "", "any"); w.Code != http.StatusCreated {
		t.Fatalf("change without a session, with the header: %d %s", w.Code, w.Body)
	}
	cookie, csrf := d.login(`{}`)
	if w := d.call("POST", "/api/v1/queues", `{"name":"q"}`, cookie, "wrong"); w.Code != http.StatusForbidden {
		t.Fatalf("change with a wrong token: %d, want 403", w.Code)
	}
	if w := d.call("POST", "/api/v1/queues", `{"name":"q"}`, cookie, csrf); w.Code != http.StatusCreated {
		t.Fatalf("change with the token: %d %s", w.Code, w.Body)
	}
}
