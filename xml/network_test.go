package xml

import (
	"bytes"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/hashi-broker/hashi/broker/dest"
	"github.com/hashi-broker/hashi/config"
)

func TestTokyo(t *testing.T) {
	c, ps := loadClean(t, "testdata/tokyo.xml")
	if len(ps) != 0 {
		t.Errorf("problems:\n%s", dump(ps))
	}
	b := c.Broker
	if b.Name != "tokyo" || !b.NetworkConnectorStartAsync {
		t.Errorf("broker %+v", b)
	}
	dir := filepath.Join(wd(t), "testdata")
	if s := b.SSLContext; s == nil || s.KeyStore != filepath.Join(dir, "tls/tokyo.p12") || s.KeyStoreType != "pkcs12" ||
		s.KeyStorePassword != "tls-secret" || s.TrustStore != filepath.Join(dir, "tls/ca.pem") || s.TrustStoreType != "pem" {
		t.Errorf("sslContext %+v", b.SSLContext)
	}
	tcs := b.TransportConnectors
	if len(tcs) != 3 || tcs[0].Protocol != config.ProtoAuto || !tcs[0].TLS || !tcs[0].NeedClientAuth ||
		tcs[1].MaximumConnections != 10000 || tcs[2].Protocol != config.ProtoWS || !tcs[2].TLS || tcs[2].MaxKeepAlive != 5*time.Minute {
		t.Errorf("transports %+v", tcs)
	}
	if len(b.NetworkConnectors) != 3 {
		t.Fatalf("network connectors %+v", b.NetworkConnectors)
	}

	q := b.NetworkConnectors[0]
	want := config.NewNetworkConnector()
	want.Pos = q.Pos
	want.Name = "tokyo-singapore-queues"
	want.URI = "static:(ssl://mq.singapore.example.com:61617)?initialReconnectDelay=500&maxReconnectDelay=10000"
	want.Mode = "static"
	want.Peers = []string{"ssl://mq.singapore.example.com:61617"}
	want.Bridges = [][]string{{"ssl://mq.singapore.example.com:61617"}}
	want.Reconnect.InitialDelay, want.Reconnect.MaxDelay = 500*time.Millisecond, 10*time.Second
	want.UserName, want.Password = "bridge", "bridge-secret"
	want.ConduitSubscriptions = false
	want.MessageTTL, want.ConsumerTTL = 2, 2 // networkTTL sets both
	want.PrefetchSize = 100
	want.Attrs = map[string]string{"suppressDuplicateQueueSubscriptions": "true"}
	want.DynamicallyIncluded = []config.DestRef{{Pos: q.DynamicallyIncluded[0].Pos, Dest: dest.Q("orders.>")}}
	want.Excluded = []config.DestRef{{Pos: q.Excluded[0].Pos, Dest: dest.Q("orders.local.>")}}
	if !reflect.DeepEqual(q, want) {
		t.Errorf("queues connector\n got %+v\nwant %+v", q, want)
	}
	if q.Pos.String() != "testdata/tokyo.xml:11:5" || q.Excluded[0].Pos.String() != "testdata/tokyo.xml:20:9" {
		t.Errorf("positions %s %s", q.Pos, q.Excluded[0].Pos)
	}

	tp := b.NetworkConnectors[1]
	if tp.MessageTTL != 3 || tp.ConsumerTTL != 1 || tp.DemandGrace != 30*time.Second || tp.Password != "" ||
		len(tp.StaticallyIncluded) != 1 || tp.StaticallyIncluded[0].Dest != dest.T("prices.jpy") ||
		tp.Excluded[0].Dest != dest.T("ActiveMQ.Advisory.>") || tp.Reconnect != config.DefaultReconnect() {
		t.Errorf("topics connector %+v", tp)
	}

	ms := b.NetworkConnectors[2]
	want = config.NewNetworkConnector()
	want.Pos, want.Name, want.URI, want.Duplex = ms.Pos, "tokyo-osaka", "masterslave:(tcp://osaka-a.example.com:61616,tcp://osaka-b.example.com:61616)", true
	want.Mode = "masterslave"
	want.Peers = []string{"tcp://osaka-a.example.com:61616", "tcp://osaka-b.example.com:61616"}
	want.Bridges = [][]string{want.Peers}
	if !reflect.DeepEqual(ms, want) {
		t.Errorf("masterslave connector\n got %+v\nwant %+v", ms, want)
	}
}

func TestSingapore(t *testing.T) {
	c, ps := loadClean(t, "testdata/singapore.xml")
	nc := c.Broker.NetworkConnectors[0]
	if len(ps) != 0 || nc.Mode != "masterslave" || !reflect.DeepEqual(nc.Bridges, [][]string{{"tcp://tokyo-a.example.com:61616", "tcp://tokyo-b.example.com:61616"}}) ||
		nc.Reconnect.UseExponentialBackOff || nc.DecreaseNetworkConsumerPriority || !nc.Duplex {
		t.Errorf("%+v\n%s", nc, dump(ps))
	}
}

// TestNetworkConnectorValues checks value errors and ActiveMQ's defaults
// for a connector that sets nothing.
func TestNetworkConnectorValues(t *testing.T) {
	doc := `<broker xmlns="http://activemq.apache.org/schema/core">
  <networkConnectors>
    <networkConnector uri="static:(tcp://a:61616)"/>
    <networkConnector name="b" uri="static:(tcp://b:61616)" duplex="maybe" prefetchSize="lots" networkTTL="-1" gcSweepTime="soon" frobnicate="1"/>
    <networkConnector name="c"/>
    <networkConnector name="d" uri="static:(tcp://d:61616)" messageTTL="4" networkTTL="2"/>
  </networkConnectors>
</broker>`
	c, ps := Load("x.xml", []byte(doc), Options{WorkDir: "/srv", LookupEnv: envOf(nil)})
	want := []string{
		`x.xml:4:61: networkConnector "b": duplex: "maybe" is not a boolean (want true or false)`,
		`x.xml:4:76: networkConnector "b": prefetchSize: "lots" is not an integer`,
		`x.xml:4:112: networkConnector "b": gcSweepTime: "soon" is not a number of milliseconds`,
		`x.xml:4:131: warning: networkConnector "b": unknown attribute frobnicate ignored`,
		`x.xml:5:5: networkConnector "c": no uri`,
	}
	if got := dump(ps); got != joinLines(want) {
		t.Errorf("got:\n%s\nwant:\n%s", got, joinLines(want))
	}
	ncs := c.Broker.NetworkConnectors
	if len(ncs) != 3 {
		t.Fatalf("connectors %+v", ncs)
	}
	def := config.NewNetworkConnector()
	a := ncs[0]
	if a.Name != "NC" || a.Duplex != def.Duplex || a.MessageTTL != 1 || a.ConsumerTTL != 1 || !a.ConduitSubscriptions ||
		a.DynamicOnly || !a.DecreaseNetworkConsumerPriority || a.PrefetchSize != 1000 || !a.BridgeTempDestinations ||
		a.StaticBridge || !a.AlwaysSyncSend || a.DemandGrace != time.Minute || a.Reconnect != config.DefaultReconnect() {
		t.Errorf("defaults %+v", a)
	}
	if ncs[1].MessageTTL != -1 || ncs[1].ConsumerTTL != -1 || ncs[1].PrefetchSize != 1000 {
		t.Errorf("b %+v", ncs[1])
	}
	if ncs[2].MessageTTL != 4 || ncs[2].ConsumerTTL != 2 {
		t.Errorf("d: explicit messageTTL wins over networkTTL: %+v", ncs[2])
	}
}

// TestDescribeLoaded is the golden `hashi check` view of a loaded file.
func TestDescribeLoaded(t *testing.T) {
	c, _ := loadClean(t, "testdata/tokyo.xml")
	var buf bytes.Buffer
	config.Describe(&buf, c)
	out := strings.ReplaceAll(buf.String(), wd(t), "$WD")
	for _, secret := range []string{"tls-secret", "bridge-secret"} {
		if strings.Contains(out, secret) {
			t.Errorf("Describe printed %q", secret)
		}
	}
	golden(t, "tokyo.describe", []byte(out))
}
