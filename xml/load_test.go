package xml

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/hashi-broker/hashi/broker/dest"
	"github.com/hashi-broker/hashi/config"
)

const debianConf = "/usr/share/doc/activemq/examples/conf"

// TestDebianExamples loads every example configuration Debian's activemq
// package ships: each must load with warnings only, and files without a
// broker must give exactly one warning saying so.
func TestDebianExamples(t *testing.T) {
	if _, err := os.Stat(debianConf); err != nil {
		if os.Getenv("HASHI_REQUIRE_DEPS") != "" {
			t.Fatal("activemq package not installed (scripts/test.sh installs it): ", err)
		}
		t.Skip("activemq package not installed: ", err, " (apt-get install -y activemq)")
	}
	files, err := filepath.Glob(filepath.Join(debianConf, "*.xml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no example configs in %s: %v", debianConf, err)
	}
	for _, f := range files {
		c, ps := LoadFile(f, Options{WorkDir: "/srv/hashi", LookupEnv: envOf(nil)})
		if c == nil || ps.HasErrors() {
			t.Errorf("%s: errors:\n%s", f, dump(ps))
			continue
		}
		t.Logf("%s: %d warnings", filepath.Base(f), len(ps))
		if !hasBroker(f) {
			if len(ps) != 1 || !strings.Contains(ps[0].Msg, "no <broker> element") {
				t.Errorf("%s has no broker: want exactly one warning saying so, got:\n%s", f, dump(ps))
			}
		}
	}
}

// hasBroker is a crude independent check: the file mentions a core-namespace broker.
func hasBroker(path string) bool {
	data, _ := os.ReadFile(path)
	s := string(data)
	for {
		i := strings.Index(s, "<broker ")
		if i < 0 {
			return false
		}
		// Skip brokers inside comments.
		if strings.LastIndex(s[:i], "<!--") <= strings.LastIndex(s[:i], "-->") {
			return true
		}
		s = s[i+1:]
	}
}

// TestDebianCopies runs the copies in testdata everywhere, with details.
func TestDebianCopies(t *testing.T) {
	c, ps := loadClean(t, "testdata/debian/activemq-demo.xml")
	b := c.Broker
	if b.Name != "amq-broker" || !b.UseJMX || b.SystemUsage.MemoryLimit != 20<<20 || b.SystemUsage.StoreLimit != 1<<30 || b.SystemUsage.TempLimit != 100<<20 {
		t.Errorf("demo broker: %+v", b)
	}
	conf := filepath.Join(wd(t), "testdata/debian")
	if s := b.SSLContext; s == nil || s.KeyStore != filepath.Join(conf, "broker.ks") || s.KeyStoreType != "jks" ||
		s.TrustStore != filepath.Join(conf, "broker.ts") || s.TrustStorePassword != "password" {
		t.Errorf("sslContext %+v", b.SSLContext)
	}
	var got []string
	for _, tc := range b.TransportConnectors {
		got = append(got, tc.Name+" "+string(tc.Protocol)+" "+tc.Addr)
	}
	if want := []string{"openwire auto localhost:61616", "ssl auto localhost:61617", "stomp stomp localhost:61613", "ws ws localhost:61614"}; !reflect.DeepEqual(got, want) {
		t.Errorf("connectors %q, want %q", got, want)
	}
	if b.Persistence.Directory != "/srv/activemq-data/dynamic-broker1/kahadb" || b.Persistence.SyncMode != "never" {
		t.Errorf("persistence %+v (enableJournalDiskSyncs=false means never)", b.Persistence)
	}
	if len(ps) != 7 {
		t.Errorf("demo: %d warnings, want 7:\n%s", len(ps), dump(ps))
	}

	c, ps = loadClean(t, "testdata/debian/activemq-security.xml")
	a := c.Broker.Authentication
	if a == nil || len(a.Users) != 3 || a.Users[0].Password != "ENC(mYRkg+4Q4hua1kvpCCI2hg==)" || !reflect.DeepEqual(a.Users[0].Groups, []string{"users", "admins"}) {
		t.Errorf("security users %+v", a)
	}
	if z := c.Broker.Authorization; z == nil || len(z.Entries) != 8 || z.Entries[3].Dest != dest.Q("TEST.Q") || z.Entries[3].Admin != nil {
		t.Errorf("security authorization %+v", z)
	}
	if count(ps, config.Warning) != 8 || !hasProblem(ps, "ENC(...)") {
		t.Errorf("security warnings:\n%s", dump(ps))
	}

	c, _ = loadClean(t, "testdata/debian/activemq-stomp.xml")
	if len(c.Broker.TransportConnectors) != 2 || c.Broker.TransportConnectors[1].Addr != "0.0.0.0:61613" ||
		c.Broker.DataDirectory != "/srv/activemq-data" || c.Broker.Policy.Entries[0].ProducerFlowControl {
		t.Errorf("stomp %+v", c.Broker)
	}

	c, ps = loadClean(t, "testdata/debian/activemq-dynamic-network-broker1.xml")
	if len(c.Broker.NetworkConnectors) != 0 || !hasProblem(ps, "multicast discovery is not supported; use static:; connector skipped") {
		t.Errorf("multicast connector must be skipped with a warning:\n%s", dump(ps))
	}

	c, ps = loadClean(t, "testdata/debian/camel.xml")
	if len(ps) != 1 || !strings.Contains(ps[0].String(), "testdata/debian/camel.xml:29:1: warning: no <broker> element") ||
		c.Broker.Name != "localhost" || len(c.Broker.TransportConnectors) != 0 {
		t.Errorf("camel.xml: %s", dump(ps))
	}
}

// TestProblemsGolden pins every problem reported for the testdata configs.
func TestProblemsGolden(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.xml")
	more, _ := filepath.Glob("testdata/*/*.xml")
	var b strings.Builder
	for _, f := range append(files, more...) {
		if strings.HasPrefix(f, "testdata/broken/") {
			continue
		}
		_, ps := load(t, f)
		b.WriteString("== " + f + "\n")
		for _, p := range ps {
			b.WriteString(strings.ReplaceAll(p.String(), wd(t), "$WD") + "\n")
		}
	}
	golden(t, "problems.golden", []byte(b.String()))
}

func TestAmazonMQShape(t *testing.T) {
	c, ps := loadClean(t, "testdata/amazonmq.xml")
	b := c.Broker
	if b.SchedulePeriodForDestinationPurge != 10*time.Second || b.Name != "localhost" {
		t.Errorf("broker %+v", b)
	}
	if len(b.Policy.Entries) != 3 {
		t.Fatalf("policies %+v", b.Policy)
	}
	top, q, orders := b.Policy.Entries[0], b.Policy.Entries[1], b.Policy.Entries[2]
	if top.Dest != dest.T(">") || !top.GCInactiveDestinations || top.InactiveTimeoutBeforeGC != 10*time.Minute || top.PendingMessageLimit != 1000 {
		t.Errorf("topic > policy %+v", top)
	}
	if q.Dest != dest.Q(">") || q.QueuePrefetch != 10 || q.PendingMessageLimit != -1 || !q.ProducerFlowControl {
		t.Errorf("queue > policy %+v", q)
	}
	if orders.Dest != dest.Q("orders.>") || orders.ProducerFlowControl || orders.MemoryLimit != 64<<10 || !orders.ReplayWhenNoConsumers || orders.ReplayDelay != time.Second {
		t.Errorf("orders policy %+v", orders)
	}
	if !reflect.DeepEqual(b.OtherPlugins, []string{"forcePersistencyModeBrokerPlugin", "statisticsBrokerPlugin", "timeStampingBrokerPlugin"}) {
		t.Errorf("plugins %q", b.OtherPlugins)
	}
	if len(b.Destinations) != 2 || b.Destinations[0].Dest != dest.Q("orders.incoming") || b.Destinations[1].Dest != dest.T("prices.fx") {
		t.Errorf("destinations %+v", b.Destinations)
	}
	u := b.SystemUsage
	if u.MemoryLimit != 100<<20 || !u.SendFailIfNoSpace || u.SendFailIfNoSpaceAfter != 3*time.Second || u.StoreLimit != 100<<30 {
		t.Errorf("usage %+v", u)
	}
	if len(b.TransportConnectors) != 0 || count(ps, config.Warning) != 4 {
		t.Errorf("connectors %+v, problems:\n%s", b.TransportConnectors, dump(ps))
	}
	if !reflect.DeepEqual(b.VirtualTopics, []config.VirtualTopic{config.DefaultVirtualTopic()}) {
		t.Errorf("virtual topics %+v", b.VirtualTopics)
	}
	if b.Attrs["schedulePeriodForDestinationPurge"] != "10000" {
		t.Errorf("attrs %v", b.Attrs)
	}
}

func TestPrefixedShape(t *testing.T) {
	c, ps := loadClean(t, "testdata/prefixed.xml")
	b := c.Broker
	if b.Name != "edge-1" || b.Persistent || b.UseJMX || b.Persistence.Adapter != "memoryPersistenceAdapter" || b.DataDirectory != "/var/lib/hashi" {
		t.Errorf("broker %+v", b)
	}
	if len(b.TransportConnectors) != 3 {
		t.Fatalf("connectors %+v (amqp must be dropped)", b.TransportConnectors)
	}
	m, s, a := b.TransportConnectors[0], b.TransportConnectors[1], b.TransportConnectors[2]
	if m.Protocol != config.ProtoMQTT || m.MaximumConnections != 500 || m.MaxFrameSize != 1<<20 || m.DefaultKeepAlive != time.Minute {
		t.Errorf("mqtt %+v", m)
	}
	if s.Protocol != config.ProtoSTOMP || s.DefaultHeartBeat != "5000,0" || a.Protocol != config.ProtoAuto {
		t.Errorf("stomp %+v auto %+v", s, a)
	}
	if len(b.VirtualTopics) != 1 || b.VirtualTopics[0].Name != ">" || b.VirtualTopics[0].Prefix != "VirtualTopicConsumers.*." {
		t.Errorf("virtual topics %+v (a declared interceptor replaces the default)", b.VirtualTopics)
	}
	if len(b.Composites) != 1 || b.Composites[0].Dest != dest.Q("audit.all") || !b.Composites[0].ForwardOnly ||
		len(b.Composites[0].ForwardTo) != 2 || b.Composites[0].ForwardTo[1].Dest != dest.T("audit.feed") {
		t.Errorf("composites %+v", b.Composites)
	}
	if !hasProblem(ps, "prefixed.xml:31:3: warning: skipping <amq:connectionFactory> outside <broker>") {
		t.Errorf("problems:\n%s", dump(ps))
	}
}

func TestRoles(t *testing.T) {
	c, _ := loadClean(t, "testdata/roles.xml")
	b := c.Broker
	if b.DataDirectory != "/srv/activemq-data" {
		t.Errorf("dataDirectory %q (from ACTIVEMQ_DATA)", b.DataDirectory)
	}
	a := b.Authentication
	if a == nil || a.Plugin != "simpleAuthenticationPlugin" || a.AnonymousAccessAllowed || len(a.Users) != 3 {
		t.Fatalf("authentication %+v", a)
	}
	if a.Users[0].Password != "admin-secret" || a.Users[2].Password != "sub-secret" || !config.IsPasswordHash(a.Users[1].Password) {
		t.Errorf("passwords: %+v", a.Users)
	}
	if !reflect.DeepEqual(a.Users[2].Groups, []string{"subscribers", "everyone"}) {
		t.Errorf("groups are trimmed: %q", a.Users[2].Groups)
	}
	z := b.Authorization
	if z == nil || len(z.Entries) != 4 {
		t.Fatalf("authorization %+v", z)
	}
	ev := z.Entries[2]
	if ev.Dest != dest.T("events.>") || !reflect.DeepEqual(ev.Read, []string{"subscribers"}) ||
		!reflect.DeepEqual(ev.Write, []string{"publishers"}) || !reflect.DeepEqual(ev.Admin, []string{"publishers", "subscribers"}) {
		t.Errorf("events entry %+v", ev)
	}
	if z.Entries[3].Dest != dest.T("ActiveMQ.Advisory.>") || !reflect.DeepEqual(z.Entries[3].Read, []string{"*"}) {
		t.Errorf("advisory entry %+v", z.Entries[3])
	}
	if z.Default == nil || !reflect.DeepEqual(z.Default.Read, []string{"admins"}) {
		t.Errorf("default entry %+v", z.Default)
	}
	if z.Temp == nil || !reflect.DeepEqual(z.Temp.Write, []string{"admins", "publishers"}) {
		t.Errorf("temp entry %+v", z.Temp)
	}
}

func TestDefault(t *testing.T) {
	c, ps := Load("default.xml", defaultXML, Options{WorkDir: "/srv", LookupEnv: envOf(nil)})
	if len(ps) != 0 {
		t.Fatalf("default.xml has problems:\n%s", dump(ps))
	}
	d := Default()
	if d.Source != "" || d.Broker.Name != "localhost" || d.Broker.DataDirectory != "data" || d.Broker.Persistence.Directory != "data/kahadb" ||
		d.Broker.Authentication != nil || d.Broker.Authorization != nil || len(d.Broker.OtherPlugins) != 0 {
		t.Errorf("default broker %+v", d.Broker)
	}
	var got []string
	for _, tc := range d.Broker.TransportConnectors {
		got = append(got, tc.URI)
		if !strings.HasPrefix(tc.Addr, "127.0.0.1:") {
			t.Errorf("default connector %s binds %s, not loopback", tc.Name, tc.Addr)
		}
	}
	if want := []string{"mqtt://127.0.0.1:1883", "stomp://127.0.0.1:61613", "ws://127.0.0.1:61614"}; !reflect.DeepEqual(got, want) {
		t.Errorf("connectors %q", got)
	}
	if p := d.Broker.Policy.Entries; len(p) != 1 || p[0].Dest != dest.T(">") || p[0].PendingMessageLimit != 1000 {
		t.Errorf("policy %+v", p)
	}
	if !reflect.DeepEqual(c.Broker.TransportConnectors, d.Broker.TransportConnectors) {
		t.Error("Default() differs from loading default.xml")
	}
	// Each call returns a fresh copy.
	d.Broker.TransportConnectors[0].Addr = "changed"
	if Default().Broker.TransportConnectors[0].Addr == "changed" {
		t.Error("Default() shares state between calls")
	}
}

func TestNoBroker(t *testing.T) {
	for _, doc := range []string{
		`<beans xmlns="http://www.springframework.org/schema/beans"><bean class="a.B"><property name="x" value="${nope}"/></bean><import resource="x.xml"/></beans>`,
		`<web-app/>`,
		// A broker in the Spring namespace is not ActiveMQ's broker.
		`<beans xmlns="http://www.springframework.org/schema/beans"><broker/></beans>`,
	} {
		c, ps := Load("x.xml", []byte(doc), Options{WorkDir: "/srv", LookupEnv: envOf(nil)})
		if c == nil || len(ps) != 1 || ps[0].Severity != config.Warning || !strings.Contains(ps[0].Msg, "no <broker> element") {
			t.Errorf("%s: %s", doc, dump(ps))
		}
	}
}

func TestBareBrokerWithoutNamespace(t *testing.T) {
	c, ps := Load("x.xml", []byte(`<broker brokerName="plain"><transportConnectors><transportConnector name="m" uri="mqtt://127.0.0.1:1883"/></transportConnectors></broker>`),
		Options{WorkDir: "/srv", LookupEnv: envOf(nil)})
	if len(ps) != 0 || c.Broker.Name != "plain" || len(c.Broker.TransportConnectors) != 1 {
		t.Errorf("%+v\n%s", c.Broker, dump(ps))
	}
}

// TestUnsupportedWarnOnce checks that unsupported parts get exactly one
// warning each, with nothing reported from inside them.
func TestUnsupportedWarnOnce(t *testing.T) {
	doc := `<beans xmlns="http://www.springframework.org/schema/beans">
  <bean id="ds" class="org.apache.commons.dbcp2.BasicDataSource">
    <property name="url" value="${db.url}"/>
  </bean>
  <broker xmlns="http://activemq.apache.org/schema/core" bogus="1">
    <managementContext><managementContext createConnector="${nope}"/></managementContext>
    <jmsBridgeConnectors><jmsQueueConnector outboundQueueConnectionFactory="#remote"/></jmsBridgeConnectors>
    <plugins>
      <redeliveryPlugin fallbackToDeadLetter="true"><redeliveryPolicyMap><redeliveryPolicyMap/></redeliveryPolicyMap></redeliveryPlugin>
      <bean xmlns="http://www.springframework.org/schema/beans" class="com.example.Plugin"/>
    </plugins>
    <camelContext xmlns="http://camel.apache.org/schema/spring"><route/></camelContext>
  </broker>
</beans>`
	_, ps := Load("x.xml", []byte(doc), Options{WorkDir: "/srv", LookupEnv: envOf(nil)})
	want := []string{
		`x.xml:2:3: warning: skipping Spring <bean class="org.apache.commons.dbcp2.BasicDataSource">`,
		`x.xml:5:58: warning: broker: unknown attribute bogus ignored`,
		`x.xml:7:5: warning: <jmsBridgeConnectors> not supported (JMS bridges); ignored`,
		`x.xml:9:7: warning: plugin <redeliveryPlugin> is not enforced by Hashi; ignored`,
		`x.xml:10:7: warning: skipping Spring <bean class="com.example.Plugin">`,
		`x.xml:12:5: warning: skipping <camelContext> (namespace http://camel.apache.org/schema/spring): not part of ActiveMQ's configuration`,
	}
	if got := dump(ps); got != joinLines(want) {
		t.Errorf("got:\n%s\nwant:\n%s", got, joinLines(want))
	}
}

func TestLoadFileMissing(t *testing.T) {
	c, ps := LoadFile("testdata/nope.xml", Options{WorkDir: wd(t)})
	if c != nil || len(ps) != 1 || !strings.HasPrefix(ps[0].String(), "testdata/nope.xml: open ") {
		t.Errorf("%v %s", c, dump(ps))
	}
}

func TestEncodings(t *testing.T) {
	for doc, dir := range map[string]string{
		"\xef\xbb\xbf<?xml version=\"1.0\"?>\n<broker xmlns=\"http://activemq.apache.org/schema/core\" dataDirectory=\"bom\"/>":                 "bom",
		"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n<broker xmlns=\"http://activemq.apache.org/schema/core\" dataDirectory=\"caf\xe9\"/>": "café",
		"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\r\n<broker xmlns=\"http://activemq.apache.org/schema/core\"\r\n dataDirectory=\"crlf\"/>":   "crlf",
	} {
		c, ps := Load("e.xml", []byte(doc), Options{WorkDir: "/", LookupEnv: envOf(nil)})
		if c == nil || len(ps) != 0 || c.Broker.DataDirectory != dir {
			t.Errorf("%q: %v %s", doc, c != nil, dump(ps))
		}
	}
	// Invalid UTF-8 without a Latin-1 declaration is an error at the byte.
	_, ps := Load("e.xml", []byte("<broker xmlns=\"http://activemq.apache.org/schema/core\"\n  brokerName=\"caf\xe9\"/>"), Options{WorkDir: "/", LookupEnv: envOf(nil)})
	if len(ps) != 1 || ps[0].String() != `e.xml:2:18: invalid UTF-8 (save the file as UTF-8, or declare encoding="ISO-8859-1")` {
		t.Errorf("%s", dump(ps))
	}
}
