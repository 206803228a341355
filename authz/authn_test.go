package authz

import (
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashi-broker/hashi/config"
	"golang.org/x/crypto/bcrypt"
)

func errorsIs(err, target error) bool { return errors.Is(err, target) }

func simple(anon bool, users ...config.User) *config.Authentication {
	return &config.Authentication{Plugin: "simpleAuthenticationPlugin", AnonymousAccessAllowed: anon,
		AnonymousUser: "anonymous", AnonymousGroup: "anonymous", Users: users}
}

func mustAuth(t testing.TB, a *config.Authentication) *Authenticator {
	t.Helper()
	au, err := NewAuthenticator(a)
	if err != nil {
		t.Fatal(err)
	}
	return au
}

func TestNoPluginAllowsEveryone(t *testing.T) {
	au := mustAuth(t, nil)
	if au.Enabled() {
		t.Fatal("Enabled without plugin")
	}
	id, err := au.Authenticate("", "", false)
	if err != nil || !id.Anonymous || len(id.Groups) != 0 {
		t.Errorf("anonymous: %+v %v", id, err)
	}
	id, err = au.Authenticate("whoever", "anything", true)
	if err != nil || id.User != "whoever" || id.Anonymous || len(id.Groups) != 0 {
		t.Errorf("login: %+v %v", id, err)
	}
}

// [W:security] anonymous access only when allowed and no user name given.
func TestAnonymous(t *testing.T) {
	bob := config.User{Name: "bob", Password: "secret", Groups: []string{"users", " admins "}}

	open := mustAuth(t, simple(true, bob))
	id, err := open.Authenticate("", "", false)
	if err != nil || id.User != "anonymous" || !id.Anonymous || len(id.Groups) != 1 || id.Groups[0] != "anonymous" {
		t.Errorf("anonymous allowed: %+v %v", id, err)
	}
	// A user name that is not configured is refused even with anonymous access.
	if _, err := open.Authenticate("mallory", "", true); !errors.Is(err, ErrBadCredentials) {
		t.Errorf("unknown user with anonymous access: %v", err)
	}
	id, err = open.Authenticate("bob", "secret", true)
	if err != nil || id.User != "bob" || id.Anonymous || !id.InGroup("admins") || !id.InGroup("users") {
		t.Errorf("bob: %+v %v", id, err)
	}

	closed := mustAuth(t, simple(false, bob))
	_, err = closed.Authenticate("", "", false)
	if !errors.Is(err, ErrBadCredentials) || err.Error() != "User name [null] or password is invalid." {
		t.Errorf("anonymous refused: %v", err)
	}
}

func TestBadCredentials(t *testing.T) {
	au := mustAuth(t, simple(false, config.User{Name: "bob", Password: "secret"}))
	for _, c := range []struct{ u, p string }{{"bob", "wrong"}, {"bob", ""}, {"alice", "secret"}, {"", "secret"}} {
		_, err := au.Authenticate(c.u, c.p, true)
		want := "User name [" + c.u + "] or password is invalid."
		if !errors.Is(err, ErrBadCredentials) || err.Error() != want {
			t.Errorf("Authenticate(%q,%q) = %v, want %q", c.u, c.p, err, want)
		}
	}
}

// cheapHash hashes with minimal costs: the race detector makes real costs take
// seconds.
func cheapHash(t testing.TB, pw, algo string) string {
	t.Helper()
	h, err := hashWith(pw, algo, bcrypt.MinCost, argonParams{memory: 64, time: 1, threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// HashPassword's defaults: bcrypt cost 12, argon2id m=64 MiB t=3 p=4.
func TestHashPasswordDefaults(t *testing.T) {
	if testing.Short() {
		t.Skip("slow hashes")
	}
	h, err := HashPassword("pw", "")
	if err != nil {
		t.Fatal(err)
	}
	if c, err := bcrypt.Cost([]byte(h)); err != nil || c != BcryptCost || !strings.HasPrefix(h, "$2a$") {
		t.Errorf("bcrypt %q cost %d %v", h, c, err)
	}
	h, err = HashPassword("pw", "argon2id")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=65536,t=3,p=4$") {
		t.Errorf("argon2id %q", h)
	}
	p, err := parseArgon(h)
	if err != nil || len(p.salt) != 16 || len(p.key) != 32 || !p.verify("pw") {
		t.Errorf("argon2id %q does not round-trip: %v", h, err)
	}
}

func TestHashedPasswords(t *testing.T) {
	for _, algo := range []string{"bcrypt", "argon2id"} {
		t.Run(algo, func(t *testing.T) {
			h := cheapHash(t, "s3cret", algo)
			if !IsHashed(h) {
				t.Fatalf("IsHashed(%q) = false", h)
			}
			au := mustAuth(t, simple(false, config.User{Name: "bob", Password: h, Groups: []string{"g"}}))
			if _, err := au.Authenticate("bob", "wrong", true); !errors.Is(err, ErrBadCredentials) {
				t.Errorf("wrong password accepted: %v", err)
			}
			if _, err := au.Authenticate("bob", "s3cret", true); err != nil {
				t.Errorf("right password refused: %v", err)
			}
			// The cache must not turn a later wrong password into a success.
			if _, err := au.Authenticate("bob", "wrong", true); !errors.Is(err, ErrBadCredentials) {
				t.Errorf("wrong password accepted after a right one: %v", err)
			}
			if _, err := au.Authenticate("bob", "s3cret", true); err != nil {
				t.Errorf("cached right password refused: %v", err)
			}
			// The hash itself is not a password.
			if _, err := au.Authenticate("bob", h, true); err == nil {
				t.Error("the stored hash was accepted as a password")
			}
		})
	}
}

// Hashes made by other tools: libxcrypt's crypt(3) (bcrypt $2y$ and $2b$, as
// PHP and htpasswd write them) and the reference argon2 CLI
// ("echo -n password | argon2 somesalt -id -t 2 -m 16 -p 4 -e").
func TestForeignHashes(t *testing.T) {
	cases := []struct{ hash, pw string }{
		{"$2y$05$abcdefghijklmnopqrstuuWG29KuyeAicPCJODk1zjyGvyQUU2awu", "password"},
		{"$2b$05$abcdefghijklmnopqrstuuWG29KuyeAicPCJODk1zjyGvyQUU2awu", "password"},
		{"$argon2id$v=19$m=65536,t=2,p=4$c29tZXNhbHQ$GpZ3sK/oH9p7VIiV56G/64Zo/8GaUw434IimaPqxwCo", "password"},
	}
	for _, c := range cases {
		h, err := parseHash(c.hash)
		if err != nil {
			t.Errorf("parseHash(%q): %v", c.hash, err)
			continue
		}
		if !h.verify(c.pw) {
			t.Errorf("%q does not verify %q", c.hash, c.pw)
		}
		if h.verify(c.pw + "x") {
			t.Errorf("%q verifies a wrong password", c.hash)
		}
	}
}

func TestMalformedHashRejected(t *testing.T) {
	for _, h := range []string{
		"$2a$xx$notahash",
		"$argon2id$v=19$m=65536,t=3$c2FsdHNhbHQ$aGFzaGhhc2g",
		"$argon2id$v=16$m=65536,t=3,p=4$c2FsdHNhbHQ$aGFzaGhhc2g",
		"$argon2id$v=19$m=99999999999,t=3,p=4$c2FsdHNhbHQ$aGFzaGhhc2g",
		"$argon2id$v=19$m=65536,t=3,p=4$!!$aGFzaGhhc2g",
		"$argon2id$v=19$m=65536,t=3,p=0$c2FsdHNhbHQ$aGFzaGhhc2g",
	} {
		_, err := NewAuthenticator(simple(false, config.User{Pos: config.Pos{File: "activemq.xml", Line: 7}, Name: "bob", Password: h}))
		if !errors.Is(err, ErrBadHash) || !strings.Contains(err.Error(), `"bob"`) || !strings.Contains(err.Error(), "activemq.xml:7") {
			t.Errorf("%q: err = %v", h, err)
		}
	}
	if _, err := HashPassword("x", "md5"); err == nil {
		t.Error("unknown algorithm accepted")
	}
	if IsHashed("plain") || IsHashed("$1$abc") {
		t.Error("IsHashed true for a plain password")
	}
}

// Concurrent logins with the same credentials share one verification: a
// reconnect storm costs one bcrypt, not one per client.
func TestVerifyCacheConcurrent(t *testing.T) {
	h := cheapHash(t, "pw", "bcrypt")
	au := mustAuth(t, simple(false, config.User{Name: "bob", Password: h}))
	gate := &gatedHasher{h: bcryptHash(h), release: make(chan struct{})}
	au.users["bob"].h = gate
	const clients = 16
	var wg sync.WaitGroup
	for range clients {
		wg.Go(func() {
			if _, err := au.Authenticate("bob", "pw", true); err != nil {
				t.Error(err)
			}
		})
	}
	waitFor(t, func() bool { return au.cache.waiting() == clients-1 })
	close(gate.release)
	wg.Wait()
	if n := gate.calls.Load(); n != 1 {
		t.Errorf("%d verifications for %d identical logins, want 1", n, clients)
	}
	if au.cache.len() != 1 {
		t.Errorf("cache len = %d", au.cache.len())
	}
	// A wrong password in the same storm is verified on its own and refused.
	if _, err := au.Authenticate("bob", "nope", true); !errors.Is(err, ErrBadCredentials) {
		t.Errorf("wrong password: %v", err)
	}
}

// gatedHasher counts verifications and holds them until release is closed.
type gatedHasher struct {
	calls   atomic.Int32
	release chan struct{}
	h       hasher
}

func (g *gatedHasher) verify(pw string) bool {
	g.calls.Add(1)
	<-g.release
	return g.h.verify(pw)
}

// waitFor polls cond until it holds or a deadline passes.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached before the deadline")
		}
		time.Sleep(time.Millisecond)
	}
}

func TestVerifyCacheBounded(t *testing.T) {
	c := newVerifyCache()
	ok := constHasher(true)
	for i := range verifyCacheSize + 10 {
		c.check("u", strings.Repeat("x", i), "h", ok)
	}
	if c.len() != verifyCacheSize {
		t.Errorf("len = %d, want %d", c.len(), verifyCacheSize)
	}
	// The oldest entry was evicted: the hasher is asked again.
	if c.check("u", "", "h", constHasher(false)) {
		t.Error("evicted entry still accepted")
	}
	if !c.check("u", strings.Repeat("x", verifyCacheSize+9), "h", constHasher(false)) {
		t.Error("newest entry not cached")
	}
}

type constHasher bool

func (h constHasher) verify(string) bool { return bool(h) }

func BenchmarkAuthenticatePlain(b *testing.B) {
	au := mustAuth(b, simple(false, config.User{Name: "bob", Password: "secret", Groups: []string{"g"}}))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := au.Authenticate("bob", "secret", true); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAuthenticateBcryptCached(b *testing.B) {
	h, err := HashPassword("secret", "bcrypt")
	if err != nil {
		b.Fatal(err)
	}
	au := mustAuth(b, simple(false, config.User{Name: "bob", Password: h, Groups: []string{"g"}}))
	if _, err := au.Authenticate("bob", "secret", true); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := au.Authenticate("bob", "secret", true); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAuthenticateBcryptUncached(b *testing.B) {
	h, err := HashPassword("secret", "bcrypt")
	if err != nil {
		b.Fatal(err)
	}
	bh := bcryptHash(h)
	b.ReportAllocs()
	for b.Loop() {
		if !bh.verify("secret") {
			b.Fatal("no match")
		}
	}
}
