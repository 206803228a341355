package xml

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestJAASLoginConfig(t *testing.T) {
	c, ps := loadClean(t, "testdata/jaas/activemq.xml")
	a := c.Broker.Authentication
	dir := filepath.Join(wd(t), "testdata/jaas")
	if a == nil || a.Plugin != "jaasAuthenticationPlugin" || a.JAASEntry != "activemq" ||
		a.JAASConfiguration != filepath.Join(dir, "login.config") ||
		a.UsersFile != filepath.Join(dir, "users.properties") || a.GroupsFile != filepath.Join(dir, "groups.properties") {
		t.Fatalf("authentication %+v", a)
	}
	// GuestLoginModule turns on anonymous access as guest/guests.
	if !a.AnonymousAccessAllowed || a.AnonymousUser != "guest" || a.AnonymousGroup != "guests" {
		t.Errorf("anonymous %+v", a)
	}
	type u struct {
		name, pw string
		groups   []string
	}
	var got []u
	for _, x := range a.Users {
		got = append(got, u{x.Name, x.Password, x.Groups})
	}
	want := []u{
		{"admin", "admin-secret", []string{"admins", "users"}},
		{"alice", "$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy", []string{"users"}},
		{"bob", "bob-secret", nil}, // " bob" in groups.properties is not "bob"
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("users %+v, want %+v", got, want)
	}
	if a.Users[2].Pos.String() != "testdata/jaas/users.properties:4:1" {
		t.Errorf("user position %s", a.Users[2].Pos)
	}
	if len(ps) != 1 || ps[0].String() != `testdata/jaas/groups.properties:3:1: warning: group "users": user name " bob" has leading or trailing spaces; ActiveMQ does not trim them, so it will not match user "bob"` {
		t.Errorf("problems:\n%s", dump(ps))
	}
}

func TestJAASWithoutLoginConfig(t *testing.T) {
	c, ps := loadClean(t, "testdata/jaas-plain/activemq.xml")
	a := c.Broker.Authentication
	if len(ps) != 0 || a.JAASConfiguration != "" || len(a.Users) != 2 || !reflect.DeepEqual(a.Users[1].Groups, []string{"users"}) ||
		!reflect.DeepEqual(a.Users[0].Groups, []string{"admins", "users"}) || a.AnonymousAccessAllowed {
		t.Errorf("%+v\n%s", a, dump(ps))
	}
}

func TestJAASProblems(t *testing.T) {
	const xmlDoc = `<broker xmlns="http://activemq.apache.org/schema/core">
  <plugins>
    <jaasAuthenticationPlugin configuration="%s"/>
  </plugins>
</broker>
`
	for _, tc := range []struct {
		name  string
		entry string
		files map[string]string
		want  []string
	}{
		{"missing users file", "activemq", map[string]string{"groups.properties": "g=u\n"},
			[]string{"x.xml:3:5: jaasAuthenticationPlugin: cannot read users file $DIR/users.properties"}},
		{"missing groups file", "activemq", map[string]string{"users.properties": "u=p\n"},
			[]string{"x.xml:3:5: jaasAuthenticationPlugin: cannot read groups file $DIR/groups.properties"}},
		{"unknown entry", "broker", map[string]string{"login.config": "activemq { org.apache.activemq.jaas.PropertiesLoginModule required; };"},
			[]string{`x.xml:3:31: jaasAuthenticationPlugin: login.config $DIR/login.config has no entry "broker"`}},
		{"unsupported module", "activemq", map[string]string{
			"login.config":      "activemq {\n  org.apache.activemq.jaas.LDAPLoginModule required;\n};",
			"users.properties":  "u=p\n",
			"groups.properties": "g=u\n"},
			[]string{
				`login.config:2:1: login.config entry "activemq": login module org.apache.activemq.jaas.LDAPLoginModule is not supported (only PropertiesLoginModule and GuestLoginModule)`,
				`x.xml:3:31: jaasAuthenticationPlugin: login.config entry "activemq" has no PropertiesLoginModule`}},
		{"syntax error", "activemq", map[string]string{"login.config": "activemq {\n  a.B required\n"},
			[]string{`login.config:2:1: login.config: module a.B: missing ';'`}},
		{"custom file names and baseDir", "activemq", map[string]string{
			"login.config": "activemq { org.apache.activemq.jaas.PropertiesLoginModule required baseDir=\"sub\"\n" +
				" org.apache.activemq.jaas.properties.user=\"u.props\" org.apache.activemq.jaas.properties.group=\"g.props\"; };",
			"sub/u.props": "u=p\nv=q\n", "sub/g.props": "g=u,w\n"},
			[]string{`sub/g.props:1:1: warning: group "g" lists "w", who is not in u.props`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			for name, body := range tc.files {
				path := filepath.Join(dir, name)
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			doc := strings.Replace(xmlDoc, "%s", tc.entry, 1)
			_, ps := Load("x.xml", []byte(doc), Options{WorkDir: dir, LookupEnv: envOf(nil)})
			var got []string
			for _, p := range ps {
				s := strings.ReplaceAll(p.String(), dir, "$DIR")
				if i := strings.Index(s, ": open "); i >= 0 { // drop the OS error text
					s = s[:i]
				}
				got = append(got, s)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}
