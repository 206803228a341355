package authz

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/hashi-broker/hashi/broker/dest"
	"github.com/hashi-broker/hashi/config"
)

// acl builds an entry; lists are comma-separated like the XML attributes.
func acl(d dest.Destination, read, write, admin string) config.ACL {
	return config.ACL{Dest: d, Read: split(read), Write: split(write), Admin: split(admin)}
}

func split(s string) []string {
	if s == "" {
		return nil
	}
	out := strings.Split(s, ",")
	for i := range out {
		out[i] = strings.TrimSpace(out[i])
	}
	return out
}

func who(user string, groups ...string) Identity { return Identity{User: user, Groups: groups} }

type check struct {
	id   Identity
	act  Action
	d    dest.Destination
	want bool
}

func runChecks(t *testing.T, a *Authorizer, checks []check) {
	t.Helper()
	for _, c := range checks {
		// Twice: the second call is served from the cache.
		for range 2 {
			if got := a.Allowed(c.id, c.act, c.d); got != c.want {
				t.Errorf("Allowed(%s %v, %s, %s) = %v, want %v", c.id.User, c.id.Groups, c.act, c.d, got, c.want)
				break
			}
		}
	}
}

func TestDisabledAllowsEverything(t *testing.T) {
	a := NewAuthorizer(nil)
	if a.Enabled() {
		t.Fatal("Enabled with nil config")
	}
	runChecks(t, a, []check{
		{Identity{Anonymous: true}, Admin, dest.Q("x"), true},
		{who("bob"), Write, dest.T("a.b"), true},
	})
	var nilA *Authorizer
	if !nilA.Allowed(who("bob"), Read, dest.T("x")) {
		t.Error("nil Authorizer must allow")
	}
	r, w, ad := a.Describe(dest.Q("x"))
	if !slices.Equal(r, []string{"*"}) || !slices.Equal(w, []string{"*"}) || !slices.Equal(ad, []string{"*"}) {
		t.Errorf("Describe = %v %v %v", r, w, ad)
	}
}

// [S:DefaultAuthorizationMap.getReadACLs] union, not most specific.
func TestUnionOfMatchingEntries(t *testing.T) {
	a := NewAuthorizer(&config.Authorization{Entries: []config.ACL{
		acl(dest.Q(">"), "admins", "admins", "admins"),
		acl(dest.Q("USERS.>"), "users", "users", "users"),
	}})
	admin, user, guest := who("a", "admins"), who("u", "users"), who("g", "guests")
	runChecks(t, a, []check{
		{admin, Read, dest.Q("USERS.x"), true},
		{user, Read, dest.Q("USERS.x"), true},
		{guest, Read, dest.Q("USERS.x"), false},
		{admin, Write, dest.Q("ORDERS"), true},
		{user, Write, dest.Q("ORDERS"), false},
		{user, Admin, dest.Q("USERS.bob.inbox"), true},
	})
	r, _, _ := a.Describe(dest.Q("USERS.x"))
	if !slices.Equal(r, []string{"admins", "users"}) {
		t.Errorf("Describe read = %v", r)
	}
}

func TestNoMatchingEntryDenies(t *testing.T) {
	a := NewAuthorizer(&config.Authorization{Entries: []config.ACL{
		acl(dest.T("app.>"), "*", "*", "*"),
	}})
	runChecks(t, a, []check{
		{who("bob", "admins"), Read, dest.T("other"), false},
		{who("bob", "admins"), Write, dest.T("other.x"), false},
		{who("bob"), Read, dest.T("app.x"), true},
	})
}

func TestEveryoneAndAllNotSpecial(t *testing.T) {
	a := NewAuthorizer(&config.Authorization{Entries: []config.ACL{
		acl(dest.T("open.>"), "*", "", ""),
		acl(dest.T("all.>"), "all", "", ""),
	}})
	anon := Identity{User: "anonymous", Groups: []string{"anonymous"}, Anonymous: true}
	runChecks(t, a, []check{
		{anon, Read, dest.T("open.x"), true},
		{who("nogroups"), Read, dest.T("open.x"), true},
		{who("bob", "users"), Read, dest.T("open.x"), true},
		{who("bob", "users"), Write, dest.T("open.x"), false}, // empty list: nobody
		{who("bob", "users"), Read, dest.T("all.x"), false},   // "all" is an ordinary group
		{anon, Read, dest.T("all.x"), false},
		{who("carol", "all"), Read, dest.T("all.x"), true},
	})
}

func TestQueueAndTopicTreesSeparate(t *testing.T) {
	a := NewAuthorizer(&config.Authorization{Entries: []config.ACL{
		acl(dest.Q("orders.>"), "users", "users", "users"),
	}})
	u := who("u", "users")
	runChecks(t, a, []check{
		{u, Read, dest.Q("orders.eu"), true},
		{u, Read, dest.T("orders.eu"), false}, // the #1 misconfiguration: queue entry, topic use
	})
}

func TestDefaultEntryUnioned(t *testing.T) {
	def := acl(dest.Destination{}, "auditors", "", "")
	a := NewAuthorizer(&config.Authorization{
		Entries: []config.ACL{acl(dest.Q("orders"), "users", "users", "")},
		Default: &def,
	})
	runChecks(t, a, []check{
		{who("x", "auditors"), Read, dest.Q("orders"), true},
		{who("x", "users"), Read, dest.Q("orders"), true},
		{who("x", "auditors"), Read, dest.T("anything"), true}, // default applies with no entry
		{who("x", "auditors"), Write, dest.Q("orders"), false},
		{who("x", "users"), Read, dest.T("anything"), false},
	})
}

func TestTempDestinations(t *testing.T) {
	entries := []config.ACL{acl(dest.Q(">"), "admins", "admins", "admins"),
		acl(dest.Destination{Kind: dest.TempQueue, Name: ">"}, "nobody", "", "")}
	tq := dest.Destination{Kind: dest.TempQueue, Name: "ID:host-1:1:1"}
	tt := dest.Destination{Kind: dest.TempTopic, Name: "ID:host-1:1:2"}

	open := NewAuthorizer(&config.Authorization{Entries: entries})
	runChecks(t, open, []check{
		{who("bob", "users"), Admin, tq, true},
		{Identity{Anonymous: true}, Read, tt, true},
	})

	temp := acl(dest.Destination{}, "users", "users, admins", "admins")
	closed := NewAuthorizer(&config.Authorization{Entries: entries, Temp: &temp})
	runChecks(t, closed, []check{
		{who("bob", "users"), Read, tq, true},
		{who("bob", "users"), Write, tt, true},
		{who("bob", "users"), Admin, tq, false},
		{who("a", "admins"), Admin, tt, true},
		{who("a", "admins"), Read, tq, false},
	})
}

// [S:DestinationMapNode.appendMatchingValues] FOO.BAR matches an entry FOO.BAR.>.
func TestPrefixEntryMatchesItsRoot(t *testing.T) {
	a := NewAuthorizer(&config.Authorization{Entries: []config.ACL{
		acl(dest.T("FOO.BAR.>"), "g", "g", "g"),
	}})
	runChecks(t, a, []check{
		{who("u", "g"), Read, dest.T("FOO.BAR"), true},
		{who("u", "g"), Read, dest.T("FOO.BAR.BAZ.QUX"), true},
		{who("u", "g"), Read, dest.T("FOO"), false},
		{who("u", "g"), Read, dest.T("FOO.BARX"), false},
	})
}

// A wildcard subscription is checked against every entry it intersects
// (AMQ-5644: the broker also checks each concrete topic at delivery).
func TestWildcardSubscription(t *testing.T) {
	a := NewAuthorizer(&config.Authorization{Entries: []config.ACL{
		acl(dest.T("devices.>"), "ops", "", ""),
		acl(dest.T("devices.*.state"), "viewers", "", ""),
		acl(dest.T("secret.>"), "root", "", ""),
	}})
	ops, viewer, root := who("o", "ops"), who("v", "viewers"), who("r", "root")
	runChecks(t, a, []check{
		{ops, Read, dest.T("devices.>"), true},
		{viewer, Read, dest.T("devices.>"), true}, // intersects devices.*.state
		{viewer, Read, dest.T("devices.42.state"), true},
		{viewer, Read, dest.T("devices.42.config"), false}, // the delivery-time check
		{viewer, Read, dest.T("*.42.state"), true},
		{viewer, Read, dest.T(">"), true},
		{root, Read, dest.T(">"), true},
		{root, Read, dest.T("devices.42.state"), false},
		{ops, Read, dest.T("secret.*"), false},
	})
}

// The Amazon MQ example: three users in groups of their names.
// [AWS:security-authentication-authorization]
func TestAmazonMQThreeRoles(t *testing.T) {
	cfg := &config.Authentication{Plugin: "simpleAuthenticationPlugin", Users: []config.User{
		{Name: "admin", Password: "adminpw", Groups: []string{"admin"}},
		{Name: "publisher", Password: "pubpw", Groups: []string{"publisher"}},
		{Name: "subscriber", Password: "subpw", Groups: []string{"subscriber"}},
	}}
	au, err := NewAuthenticator(cfg)
	if err != nil {
		t.Fatal(err)
	}
	az := NewAuthorizer(&config.Authorization{Entries: []config.ACL{
		acl(dest.T(">"), "admin, subscriber", "admin, publisher", "admin,publisher"),
		acl(dest.T("ActiveMQ.Advisory.>"), "admin,publisher,subscriber", "admin,publisher,subscriber", "admin,publisher,subscriber"),
	}})
	login := func(u, p string) Identity {
		id, err := au.Authenticate(u, p, true)
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	adm, pub, sub := login("admin", "adminpw"), login("publisher", "pubpw"), login("subscriber", "subpw")
	topic := dest.T("orders.eu")
	runChecks(t, az, []check{
		{pub, Write, topic, true},
		{pub, Read, topic, false},
		{pub, Admin, topic, true},
		{sub, Read, topic, true},
		{sub, Write, topic, false},
		{sub, Admin, topic, false},
		{adm, Read, topic, true},
		{adm, Write, topic, true},
		{sub, Admin, dest.T("ActiveMQ.Advisory.Consumer.Topic.orders.eu"), true},
		{pub, Read, dest.T("ActiveMQ.Advisory.TempQueue"), true},
		{sub, Write, dest.Q("orders.eu"), false}, // no queue entries at all
	})
}

func TestDenialText(t *testing.T) {
	cases := []struct {
		err  *DenialError
		want string
	}{
		{Denial(who("bob"), Read, dest.T("X")), "User bob is not authorized to read from: topic://X"},
		{Denial(who("bob"), Write, dest.Q("X")), "User bob is not authorized to write to: queue://X"},
		{Denial(who("bob"), Admin, dest.T("X")), "User bob is not authorized to create: topic://X"},
		{&DenialError{User: "bob", Action: Admin, Dest: dest.Q("X"), Remove: true}, "User bob is not authorized to remove: queue://X"},
	}
	for _, c := range cases {
		if got := c.err.Error(); got != c.want {
			t.Errorf("got %q, want %q", got, c.want)
		}
	}
	var err error = Denial(who("bob"), Read, dest.T("X"))
	if !errorsIs(err, ErrNotAuthorized) {
		t.Error("DenialError must match ErrNotAuthorized")
	}
	if Read.String() != "read" || Write.String() != "write" || Admin.String() != "admin" {
		t.Error("Action.String wrong")
	}
}

func TestACLCacheBounded(t *testing.T) {
	a := NewAuthorizer(&config.Authorization{Entries: []config.ACL{acl(dest.T(">"), "g", "", "")}})
	for i := range aclCacheSize + 100 {
		if !a.Allowed(who("u", "g"), Read, dest.T(fmt.Sprintf("t.%d", i))) {
			t.Fatal("denied")
		}
	}
	if n := a.cache.len(); n > aclCacheSize {
		t.Fatalf("cache holds %d entries, bound %d", n, aclCacheSize)
	}
}

// The delivery-time check of a concrete topic must not allocate.
func TestAllowedDoesNotAllocate(t *testing.T) {
	a := bigAuthorizer()
	id := who("u", "g1", "g7", "team-42")
	d := dest.T("devices.site7.42.state")
	a.Allowed(id, Read, d)
	if n := testing.AllocsPerRun(100, func() { a.Allowed(id, Read, d) }); n != 0 {
		t.Errorf("Allowed allocates %v times per call", n)
	}
}

// bigAuthorizer has 50 topic entries, a mix of wildcards and literal names.
func bigAuthorizer() *Authorizer {
	var entries []config.ACL
	for i := range 50 {
		var pattern string
		switch i % 5 {
		case 0:
			pattern = fmt.Sprintf("devices.site%d.>", i)
		case 1:
			pattern = fmt.Sprintf("devices.*.%d.state", i)
		case 2:
			pattern = fmt.Sprintf("apps.app%d.events", i)
		case 3:
			pattern = fmt.Sprintf("team%d.>", i)
		default:
			pattern = fmt.Sprintf("*.site%d.*.config", i)
		}
		entries = append(entries, acl(dest.T(pattern), fmt.Sprintf("team-%d,ops", i), "ops", "ops"))
	}
	entries = append(entries, acl(dest.T("devices.>"), "g1,g2", "g3", "admins"))
	return NewAuthorizer(&config.Authorization{Entries: entries})
}

func BenchmarkAllowedConcrete50(b *testing.B) {
	a := bigAuthorizer()
	id := who("u", "g1", "g7", "team-42")
	d := dest.T("devices.site7.42.state")
	b.ReportAllocs()
	for b.Loop() {
		if !a.Allowed(id, Read, d) {
			b.Fatal("denied")
		}
	}
}

func BenchmarkAllowedConcrete50Parallel(b *testing.B) {
	a := bigAuthorizer()
	id := who("u", "g1", "g7", "team-42")
	d := dest.T("devices.site7.42.state")
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if !a.Allowed(id, Read, d) {
				b.Fatal("denied")
			}
		}
	})
}

// The cache-miss path: the index walk and union.
func BenchmarkResolve50(b *testing.B) {
	a := bigAuthorizer()
	d := dest.T("devices.site7.42.state")
	b.ReportAllocs()
	for b.Loop() {
		a.resolve(d)
	}
}
