package admin_test

import (
	"net/http"
	"strings"
	"testing"
)

// readRoutes are every GET endpoint that needs a login.
var readRoutes = []string{
	"/api/v1/session",
	"/api/v1/broker",
	"/api/v1/bridges",
	"/api/v1/network",
	"/api/v1/topics",
	"/api/v1/queues",
	"/api/v1/queues/orders",
	"/api/v1/queues/orders/messages",
	"/api/v1/subscribers",
	"/api/v1/connections",
	"/api/v1/config",
	"/api/v1/config/revisions",
	"/api/v1/config/revisions/1",
	"/api/jolokia/read/org.apache.activemq:type=Broker,brokerName=admintest",
}

// changeRoute is a state-changing endpoint with a body that would succeed.
type changeRoute struct {
	method, path string
	body         func(e *env) any
	ok           int
}

func changeRoutes() []changeRoute {
	running := func(e *env) any {
		var c struct {
			XML string `json:"xml"`
		}
		e.admin().mustJSON(http.StatusOK, "GET", "/api/v1/config", nil, &c)
		return c.XML
	}
	return []changeRoute{
		{"POST", "/api/v1/queues", func(*env) any { return map[string]string{"name": "csrf.created"} }, http.StatusCreated},
		{"POST", "/api/v1/queues/orders/purge", nil, http.StatusOK},
		{"DELETE", "/api/v1/queues/orders", nil, http.StatusOK},
		{"POST", "/api/v1/send", func(*env) any { return map[string]any{"destination": "queue://csrf.sent", "body": "x"} }, http.StatusOK},
		{"POST", "/api/v1/connections/999999/close", nil, http.StatusNotFound},
		{"POST", "/api/v1/config/validate", running, http.StatusOK},
		{"POST", "/api/v1/config/diff", running, http.StatusOK},
		{"POST", "/api/v1/config/apply", running, http.StatusOK},
		{"POST", "/api/v1/config/revisions/1/rollback", nil, http.StatusOK},
	}
}

func TestLogin(t *testing.T) {
	e := startDefault(t)
	t.Run("admins group", func(t *testing.T) {
		c := e.login(adminUser, adminPass)
		var s struct {
			User string `json:"user"`
			CSRF string `json:"csrf"`
			Open bool   `json:"open"`
		}
		c.mustJSON(http.StatusOK, "GET", "/api/v1/session", nil, &s)
		if s.User != adminUser || s.CSRF != c.csrf || s.Open {
			t.Fatalf("session = %+v, want user %s with the login's token", s, adminUser)
		}
	})
	t.Run("activemq-webconsole group", func(t *testing.T) {
		e.login(consoleUser, consolePass)
	})
	t.Run("cookie flags", func(t *testing.T) {
		r := e.anonymous().do("POST", "/api/v1/login", map[string]string{"user": adminUser, "password": adminPass})
		ck := r.header.Get("Set-Cookie")
		for _, want := range []string{"hashi_session=", "HttpOnly", "SameSite=Strict", "Path=/"} {
			if !strings.Contains(ck, want) {
				t.Errorf("Set-Cookie %q lacks %s", ck, want)
			}
		}
		if strings.Contains(ck, "Secure") {
			t.Errorf("Set-Cookie %q is Secure over plain HTTP", ck)
		}
	})
	t.Run("bad password", func(t *testing.T) {
		r := e.anonymous().do("POST", "/api/v1/login", map[string]string{"user": adminUser, "password": "wrong"})
		if r.status != http.StatusUnauthorized || r.header.Get("Set-Cookie") != "" {
			t.Fatalf("status %d, cookie %q: %s", r.status, r.header.Get("Set-Cookie"), r.body)
		}
		if got := r.errorText(t); got != "User name or password is invalid." {
			t.Errorf("error %q", got)
		}
	})
	t.Run("unknown user", func(t *testing.T) {
		e.anonymous().mustJSON(http.StatusUnauthorized, "POST", "/api/v1/login", map[string]string{"user": "nobody", "password": "x"}, nil)
	})
	t.Run("not in a console group", func(t *testing.T) {
		r := e.anonymous().mustJSON(http.StatusForbidden, "POST", "/api/v1/login", map[string]string{"user": appUser, "password": appPass}, nil)
		if r.header.Get("Set-Cookie") != "" || !strings.Contains(r.errorText(t), "not in a console group") {
			t.Fatalf("answer: %s", r.body)
		}
	})
	t.Run("bad JSON", func(t *testing.T) {
		e.anonymous().mustJSON(http.StatusBadRequest, "POST", "/api/v1/login", []byte(`{"user":`), nil)
	})
	t.Run("empty body needs a password here", func(t *testing.T) {
		e.anonymous().mustJSON(http.StatusUnauthorized, "POST", "/api/v1/login", map[string]string{}, nil)
	})
}

func TestLogout(t *testing.T) {
	e := startDefault(t)
	c := e.admin()
	c.mustJSON(http.StatusOK, "POST", "/api/v1/logout", nil, nil)
	c.mustJSON(http.StatusUnauthorized, "GET", "/api/v1/session", nil, nil)
	c.mustJSON(http.StatusUnauthorized, "GET", "/api/v1/broker", nil, nil)
}

func TestReadsNeedALogin(t *testing.T) {
	e := startDefault(t)
	anon := e.anonymous()
	for _, path := range readRoutes {
		r := anon.do("GET", path, nil)
		if r.status != http.StatusUnauthorized {
			t.Errorf("GET %s without a login: %d, want 401", path, r.status)
		}
		if got := r.header.Get("WWW-Authenticate"); got != `Basic realm="hashi"` {
			t.Errorf("GET %s: WWW-Authenticate %q", path, got)
		}
		// The console marks its requests: no browser password dialog.
		if r := anon.do("GET", path, nil, "X-Requested-With: hashi-console"); r.header.Get("WWW-Authenticate") != "" {
			t.Errorf("GET %s from the console: WWW-Authenticate %q", path, r.header.Get("WWW-Authenticate"))
		}
	}
	bad := e.basicClient(adminUser, "wrong")
	app := e.basicClient(appUser, appPass)
	good := e.basicClient(consoleUser, consolePass)
	for _, path := range readRoutes {
		if r := bad.do("GET", path, nil); r.status != http.StatusUnauthorized {
			t.Errorf("GET %s with a bad password: %d, want 401", path, r.status)
		}
		if r := app.do("GET", path, nil); r.status != http.StatusForbidden {
			t.Errorf("GET %s as a user outside the console groups: %d, want 403", path, r.status)
		}
		if r := good.do("GET", path, nil); r.status == http.StatusUnauthorized || r.status == http.StatusForbidden {
			t.Errorf("GET %s with HTTP Basic: %d: %s", path, r.status, r.body)
		}
	}
	// A changing request without credentials is refused before CSRF.
	if r := anon.do("POST", "/api/v1/queues", map[string]string{"name": "x"}, "X-CSRF-Token: t"); r.status != http.StatusUnauthorized {
		t.Errorf("POST without a login: %d", r.status)
	}
}

// TestCSRF checks every state-changing endpoint: a session must send its
// token; HTTP Basic callers any non-empty token.
func TestCSRF(t *testing.T) {
	e := startDefault(t)
	setup := func(c *client) {
		c.mustJSON(http.StatusCreated, "POST", "/api/v1/queues", map[string]string{"name": "orders"}, nil)
	}
	for _, rt := range changeRoutes() {
		t.Run(rt.method+" "+rt.path, func(t *testing.T) {
			admin := e.admin()
			setup(admin)
			var body any
			if rt.body != nil {
				body = rt.body(e)
			}
			other := e.admin() // a second session: its token is wrong for the first
			for _, tc := range []struct {
				name string
				hdr  string
			}{
				{"missing token", "X-CSRF-Token:"},
				{"wrong token", "X-CSRF-Token: " + other.csrf},
				{"garbage token", "X-CSRF-Token: x" + admin.csrf},
			} {
				r := admin.do(rt.method, rt.path, body, tc.hdr)
				if r.status != http.StatusForbidden {
					t.Fatalf("%s: status %d, want 403: %s", tc.name, r.status, r.body)
				}
				if !strings.Contains(r.errorText(t), "X-CSRF-Token") {
					t.Errorf("%s: error %s", tc.name, r.body)
				}
			}
			// Nothing happened: the queue is still there with its session.
			admin.mustJSON(http.StatusOK, "GET", "/api/v1/queues/orders", nil, nil)
			admin.mustJSON(http.StatusOK, "GET", "/api/v1/session", nil, nil)

			basic := e.basicClient(adminUser, adminPass)
			if r := basic.do(rt.method, rt.path, body, "X-CSRF-Token:"); r.status != http.StatusForbidden {
				t.Fatalf("HTTP Basic without the header: %d, want 403", r.status)
			}
			if r := basic.do(rt.method, rt.path, body); r.status != rt.ok {
				t.Fatalf("HTTP Basic with any token: %d, want %d: %s", r.status, rt.ok, r.body)
			}
			setup(admin)
			if r := admin.do(rt.method, rt.path, body); r.status != rt.ok {
				t.Fatalf("session with its token: %d, want %d: %s", r.status, rt.ok, r.body)
			}
		})
	}
	// The created and sent-to queues exist only after the accepted calls.
	var q struct {
		Queues []struct {
			Destination string `json:"destination"`
		} `json:"queues"`
	}
	e.admin().mustJSON(http.StatusOK, "GET", "/api/v1/queues", nil, &q)
	names := map[string]bool{}
	for _, x := range q.Queues {
		names[x.Destination] = true
	}
	for _, want := range []string{"queue://csrf.created", "queue://csrf.sent"} {
		if !names[want] {
			t.Errorf("queues %v lack %s", names, want)
		}
	}
}
