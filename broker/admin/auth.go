package admin

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/hashi-broker/hashi/authz"
)

const (
	cookieName = "hashi_session"
	csrfHeader = "X-CSRF-Token"
	// sessionMax ends a session this long after login whatever its use.
	sessionMax = 12 * time.Hour
)

// session is a logged-in console user.
type session struct {
	user    string
	groups  []string
	csrf    string
	created time.Time
	seen    time.Time
}

// sessions keeps console sessions in memory (a restart logs everyone out).
type sessions struct {
	mu     sync.Mutex
	m      map[string]*session
	idle   time.Duration
	secure bool
}

func newSessions(idle time.Duration, secure bool) *sessions {
	return &sessions{m: map[string]*session{}, idle: idle, secure: secure}
}

func token() string {
	var b [24]byte
	rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

func (ss *sessions) create(user string, groups []string) (string, *session) {
	now := time.Now()
	s := &session{user: user, groups: groups, csrf: token(), created: now, seen: now}
	id := token()
	ss.mu.Lock()
	defer ss.mu.Unlock()
	for k, v := range ss.m { // drop expired ones while here
		if ss.expired(v, now) {
			delete(ss.m, k)
		}
	}
	ss.m[id] = s
	return id, s
}

func (ss *sessions) expired(s *session, now time.Time) bool {
	return now.Sub(s.seen) > ss.idle || now.Sub(s.created) > sessionMax
}

func (ss *sessions) get(id string) *session {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	s := ss.m[id]
	if s == nil {
		return nil
	}
	now := time.Now()
	if ss.expired(s, now) {
		delete(ss.m, id)
		return nil
	}
	s.seen = now
	return s
}

func (ss *sessions) drop(id string) {
	ss.mu.Lock()
	delete(ss.m, id)
	ss.mu.Unlock()
}

// who is the caller of an authenticated request.
type who struct {
	user  string
	sess  *session // nil for HTTP Basic callers
	basic bool
}

// authOpen reports whether the broker has no authentication plugin: then
// the console needs no login (it listens on loopback by default).
func (s *Server) authOpen() bool {
	a := s.be.Config().Broker.Authentication
	return a == nil
}

// identify authenticates a request by session cookie or HTTP Basic.
func (s *Server) identify(r *http.Request) (*who, int, string) {
	if c, err := r.Cookie(cookieName); err == nil {
		if sess := s.auth.get(c.Value); sess != nil {
			return &who{user: sess.user, sess: sess}, 0, ""
		}
	}
	if u, p, ok := r.BasicAuth(); ok {
		id, err := s.be.Core.Authenticate(u, p, true)
		if err != nil {
			s.be.Core.LoginFailed("admin", u, "", r.RemoteAddr, err)
			return nil, http.StatusUnauthorized, "User name or password is invalid."
		}
		if !s.consoleAllowed(id) {
			return nil, http.StatusForbidden, "User " + u + " is not in a console group"
		}
		return &who{user: id.User, basic: true}, 0, ""
	}
	if s.authOpen() {
		return &who{user: "anonymous"}, 0, ""
	}
	return nil, http.StatusUnauthorized, "login required"
}

func (s *Server) consoleAllowed(id authz.Identity) bool {
	for _, g := range id.Groups {
		if slices.Contains(s.opts.ConsoleGroups, g) {
			return true
		}
	}
	return false
}

// authed wraps a read handler: the caller must be logged in.
func (s *Server) authed(h func(http.ResponseWriter, *http.Request, *who)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		caller, status, msg := s.identify(r)
		if caller == nil {
			// The challenge invites scripts to use HTTP Basic; the console
			// marks its requests so that browsers show its login form
			// instead of their own password dialog.
			if status == http.StatusUnauthorized && r.Header.Get("X-Requested-With") == "" {
				w.Header().Set("WWW-Authenticate", `Basic realm="hashi"`)
			}
			fail(w, status, msg)
			return
		}
		h(w, r, caller)
	})
}

// changes wraps a state-changing handler: the caller must be logged in and
// send the CSRF token (the session's, or any value with HTTP Basic: a
// cross-site page cannot set the header without a preflight the listener
// never approves). Every change is logged with the user.
func (s *Server) changes(h func(http.ResponseWriter, *http.Request, *who)) http.Handler {
	return s.authed(func(w http.ResponseWriter, r *http.Request, caller *who) {
		tok := r.Header.Get(csrfHeader)
		switch {
		case caller.sess != nil:
			if subtle.ConstantTimeCompare([]byte(tok), []byte(caller.sess.csrf)) != 1 {
				fail(w, http.StatusForbidden, "missing or wrong "+csrfHeader+" header")
				return
			}
		case tok == "":
			fail(w, http.StatusForbidden, "missing "+csrfHeader+" header")
			return
		}
		s.log.Info("admin change", "user", caller.user, "method", r.Method, "path", r.URL.Path, "remote", r.RemoteAddr)
		h(w, r, caller)
	})
}

type loginRequest struct {
	User     string `json:"user"`
	Password string `json:"password"`
}

// login checks a broker user in a console group and starts a session.
func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	var req loginRequest
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10)).Decode(&req); err != nil {
		fail(w, http.StatusBadRequest, "want JSON {\"user\":...,\"password\":...}")
		return
	}
	var id authz.Identity
	if s.authOpen() {
		id = authz.Identity{User: req.User}
		if id.User == "" {
			id.User = "anonymous"
		}
	} else {
		var err error
		id, err = s.be.Core.Authenticate(req.User, req.Password, req.User != "")
		if err != nil {
			s.be.Core.LoginFailed("admin", req.User, "", r.RemoteAddr, err)
			fail(w, http.StatusUnauthorized, "User name or password is invalid.")
			return
		}
		if !s.consoleAllowed(id) {
			s.log.Warn("console login refused: not in a console group", "user", req.User, "groups", s.opts.ConsoleGroups)
			fail(w, http.StatusForbidden, "User "+req.User+" is not in a console group")
			return
		}
	}
	sid, sess := s.auth.create(id.User, id.Groups)
	http.SetCookie(w, &http.Cookie{
		Name: cookieName, Value: sid, Path: "/", HttpOnly: true, Secure: s.auth.secure,
		SameSite: http.SameSiteStrictMode,
	})
	s.log.Info("console login", "user", id.User, "remote", r.RemoteAddr)
	writeJSON(w, http.StatusOK, map[string]string{"user": sess.user, "csrf": sess.csrf})
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(cookieName); err == nil {
		s.auth.drop(c.Value)
	}
	http.SetCookie(w, &http.Cookie{Name: cookieName, Value: "", Path: "/", MaxAge: -1})
	writeJSON(w, http.StatusOK, map[string]string{"status": "logged out"})
}

// session tells the console who is logged in and its CSRF token.
func (s *Server) session(w http.ResponseWriter, _ *http.Request, caller *who) {
	out := map[string]any{"user": caller.user, "open": s.authOpen()}
	if caller.sess != nil {
		out["csrf"] = caller.sess.csrf
	}
	writeJSON(w, http.StatusOK, out)
}
