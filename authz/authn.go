package authz

import (
	"crypto/subtle"
	"fmt"
	"strings"

	"github.com/hashi-broker/hashi/config"
)

// Authenticator checks logins against the configured users
// (simpleAuthenticationPlugin, or users loaded from JAAS properties files).
// A nil configuration means no authentication plugin: everyone is let in.
type Authenticator struct {
	enabled bool
	anonOK  bool
	anon    Identity
	users   map[string]*account
	cache   *verifyCache
}

// account is one configured user.
type account struct {
	password string // plain text, or the stored hash when h != nil
	h        hasher // nil for a plain-text password
	groups   []string
}

// NewAuthenticator builds an Authenticator. It fails when a stored password
// looks like a hash but cannot be parsed, naming the user.
func NewAuthenticator(a *config.Authentication) (*Authenticator, error) {
	if a == nil {
		return &Authenticator{}, nil
	}
	au := &Authenticator{
		enabled: true,
		anonOK:  a.AnonymousAccessAllowed,
		users:   make(map[string]*account, len(a.Users)),
		cache:   newVerifyCache(),
	}
	au.anon = Identity{
		User:      defaultStr(a.AnonymousUser, "anonymous"),
		Groups:    []string{defaultStr(a.AnonymousGroup, "anonymous")},
		Anonymous: true,
	}
	for _, u := range a.Users {
		acc := &account{password: u.Password, groups: cleanGroups(u.Groups)}
		if IsHashed(u.Password) {
			h, err := parseHash(u.Password)
			if err != nil {
				return nil, fmt.Errorf("%s:%d: user %q: %w", u.Pos.File, u.Pos.Line, u.Name, err)
			}
			acc.h = h
		}
		au.users[u.Name] = acc // a later duplicate wins, as in a Java map
	}
	return au, nil
}

// Enabled reports whether an authentication plugin is configured.
func (au *Authenticator) Enabled() bool { return au != nil && au.enabled }

// Authenticate checks a login. hasUsername is false when the client sent no
// user name at all (MQTT without the username flag, STOMP without login).
//
// Without a plugin every login succeeds: the identity is the given name, or an
// anonymous one, without groups. With the plugin a login without user name is
// the anonymous identity when anonymousAccessAllowed is set; anything else
// must name a configured user with the right password, or the error wraps
// ErrBadCredentials with ActiveMQ's text "User name [u] or password is invalid.".
func (au *Authenticator) Authenticate(username, password string, hasUsername bool) (Identity, error) {
	if !au.Enabled() {
		return Identity{User: username, Anonymous: !hasUsername}, nil
	}
	if !hasUsername {
		if au.anonOK {
			return au.anon, nil
		}
		return Identity{}, &credentialsError{}
	}
	acc := au.users[username]
	if acc == nil || !au.verify(username, password, acc) {
		return Identity{}, &credentialsError{user: username, hasUser: true}
	}
	return Identity{User: username, Groups: acc.groups}, nil
}

func (au *Authenticator) verify(user, password string, acc *account) bool {
	if acc.h == nil {
		return subtle.ConstantTimeCompare([]byte(password), []byte(acc.password)) == 1
	}
	return au.cache.check(user, password, acc.password, acc.h)
}

func defaultStr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// cleanGroups trims names and drops empty ones.
func cleanGroups(in []string) []string {
	out := make([]string, 0, len(in))
	for _, g := range in {
		if g = strings.TrimSpace(g); g != "" {
			out = append(out, g)
		}
	}
	return out
}
