package xml

import (
	"errors"
	"strings"
	"testing"
)

func TestResolver(t *testing.T) {
	r := newResolver("/etc/activemq/conf", "/srv/hashi", envOf(map[string]string{
		"HOME":          "/home/mq",
		"MY_PROP":       "from-upper-env",
		"activemq.conf": "env-must-not-win",
		"app.name":      "exact-env",
		"APP_NAME":      "upper-env",
		"BROKER_PASS":   "env-pass",
	}))
	r.props["activemq.password"] = "manager"
	r.props["broker.pass"] = "props-pass"
	r.props["chain"] = "${activemq.password}-${HOME}"
	r.props["loop.a"] = "${loop.b}"
	r.props["loop.b"] = "${loop.a}"
	r.props["inner"] = "password"
	for _, tc := range []struct{ in, want, err string }{
		{in: "plain", want: "plain"},
		{in: "${activemq.password}", want: "manager"},
		{in: "file:${activemq.conf}/credentials.properties", want: "file:/etc/activemq/conf/credentials.properties"},
		{in: "${activemq.base}|${activemq.home}", want: "/etc/activemq|/etc/activemq"},
		{in: "${activemq.data}/kahadb", want: "/srv/hashi/data/kahadb"},
		{in: "${HOME}/x", want: "/home/mq/x"},
		{in: "${my.prop}", want: "from-upper-env"},
		{in: "${app.name}", want: "exact-env"},
		{in: "${broker.pass}", want: "props-pass"}, // properties beat the environment
		{in: "${nope:fallback}", want: "fallback"},
		{in: "${nope:}", want: ""},
		{in: "${activemq.password:unused}", want: "manager"},
		{in: "${chain}", want: "manager-/home/mq"},
		{in: "${activemq.${inner}}", want: "manager"},
		{in: "a ${unterminated", want: "a ${unterminated"},
		{in: "$notaplaceholder {x}", want: "$notaplaceholder {x}"},
		{in: "${nope}", err: "unresolvable placeholder ${nope}"},
		{in: "x${a}${nope2}", err: "unresolvable placeholder ${a}"},
		{in: "${loop.a}", err: "refers to itself (loop.a -> loop.b -> loop.a)"},
	} {
		got, err := r.expand(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%q: error %v, want %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("%q = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
	var u *errUnresolved
	if _, err := r.expand("${zzz}"); !errors.As(err, &u) || u.name != "zzz" {
		t.Errorf("error %v is not errUnresolved{zzz}", err)
	}
	r.ignoreUnresolvable = true
	if got, err := r.expand("a${zzz}b"); err != nil || got != "a${zzz}b" {
		t.Errorf("ignoreUnresolvable: %q, %v", got, err)
	}
}

func TestActiveMQDataFromEnv(t *testing.T) {
	r := newResolver("/c", "/w", envOf(map[string]string{"ACTIVEMQ_DATA": "/data"}))
	if got, _ := r.expand("${activemq.data}"); got != "/data" {
		t.Errorf("activemq.data = %q", got)
	}
}

// TestPlaceholdersInFile covers property files (locations as a list, as
// value=, and inline props), ENC values, env and defaults through Load.
func TestPlaceholdersInFile(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		dir + "/a.properties": "broker.name=from-a\nshared=a\n",
		dir + "/b.properties": "shared = b\nsecret=ENC(abcdef)\n# comment\nlong=one\\\n    two\n",
	}
	read := func(p string) ([]byte, error) {
		if s, ok := files[p]; ok {
			return []byte(s), nil
		}
		return nil, errNotExist(p)
	}
	doc := `<beans xmlns="http://www.springframework.org/schema/beans">
  <bean class="org.springframework.beans.factory.config.PropertyPlaceholderConfigurer">
    <property name="properties"><props><prop key="inline">in-line</prop><prop key="shared">inline</prop></props></property>
    <property name="locations">
      <list>
        <value>file:${activemq.conf}/a.properties</value>
        <value>b.properties</value>
      </list>
    </property>
  </bean>
  <broker xmlns="http://activemq.apache.org/schema/core" brokerName="${broker.name}-${shared}-${inline}-${long}"
          dataDirectory="${DATA_ROOT:/var/lib/default}/${USER}">
    <plugins><simpleAuthenticationPlugin><users>
      <authenticationUser username="u" password="${secret}" groups="g"/>
    </users></simpleAuthenticationPlugin></plugins>
  </broker>
</beans>`
	c, ps := Load(dir+"/activemq.xml", []byte(doc), Options{WorkDir: "/srv", ReadFile: read, LookupEnv: envOf(map[string]string{"USER": "mq"})})
	if c == nil {
		t.Fatal(dump(ps))
	}
	if c.Broker.Name != "from-a-b-in-line-onetwo" {
		t.Errorf("brokerName %q", c.Broker.Name)
	}
	if c.Broker.DataDirectory != "/var/lib/default/mq" {
		t.Errorf("dataDirectory %q", c.Broker.DataDirectory)
	}
	if pw := c.Broker.Authentication.Users[0].Password; pw != "ENC(abcdef)" {
		t.Errorf("ENC value must be kept raw, got %q", pw)
	}
	if len(ps) != 2 || !strings.Contains(ps[1].String(), "activemq.xml:14:40: warning: authenticationUser: password is an encrypted ENC(...) value") {
		t.Errorf("problems:\n%s", dump(ps))
	}

	// A missing properties file is an error at its <value>.
	delete(files, dir+"/b.properties")
	_, ps = Load(dir+"/activemq.xml", []byte(doc), Options{WorkDir: "/srv", ReadFile: read, LookupEnv: envOf(nil)})
	if !hasProblem(ps, "activemq.xml:7:9: property placeholder location \"b.properties\": cannot read properties file "+dir+"/b.properties") {
		t.Errorf("problems:\n%s", dump(ps))
	}
}

type errNotExist string

func (e errNotExist) Error() string { return "open " + string(e) + ": no such file or directory" }
