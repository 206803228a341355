package admin_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hashi-broker/hashi/broker/server/servertest"
)

type bridgeJSON struct {
	Name            string    `json:"name"`
	Connector       string    `json:"connector"`
	RemoteBroker    string    `json:"remoteBroker"`
	RemoteAddress   string    `json:"remoteAddress"`
	CreatedByDuplex bool      `json:"createdByDuplex"`
	Duplex          bool      `json:"duplex"`
	State           string    `json:"state"`
	Since           time.Time `json:"since"`
	RTT             string    `json:"rtt"`
	RTTNanos        int64     `json:"rttNanos"`
}

type topology struct {
	Nodes []struct {
		Name string `json:"name"`
		Self bool   `json:"self"`
		Hops int    `json:"hops"`
	} `json:"nodes"`
	Edges []struct {
		From   string  `json:"from"`
		To     string  `json:"to"`
		State  string  `json:"state"`
		Duplex bool    `json:"duplex"`
		RTTMs  float64 `json:"rttMs"`
		Bridge string  `json:"bridge"`
	} `json:"edges"`
}

func bridgesOf(t *testing.T, c *client) map[string]bridgeJSON {
	t.Helper()
	var out struct{ Bridges []bridgeJSON }
	c.mustJSON(http.StatusOK, "GET", "/api/v1/bridges", nil, &out)
	m := map[string]bridgeJSON{}
	for _, b := range out.Bridges {
		m[b.Name] = b
	}
	return m
}

// networkConnector bridges to e's tcp connector as the admin user.
func networkConnector(name string, to *env, duplex bool) string {
	d := "false"
	if duplex {
		d = "true"
	}
	return `<networkConnector name="` + name + `" uri="static:(tcp://` + to.srv.Addr("tcp").String() + `)" userName="` +
		adminUser + `" password="` + adminPass + `" duplex="` + d + `"/>`
}

// TestBridgesAndNetwork runs singapore, then tokyo with a duplex bridge to
// it, and applies a bridge from tokyo to osaka live, then rolls it back.
func TestBridgesAndNetwork(t *testing.T) {
	sg := start(t, "singapore", func(data string) string { return brokerXML("singapore", data, "") })
	osaka := start(t, "osaka", func(data string) string { return brokerXML("osaka", data, "") })
	tk := start(t, "tokyo", func(data string) string {
		return brokerXML("tokyo", data, "  <networkConnectors>\n    "+networkConnector("tokyo_to_singapore", sg, true)+"\n  </networkConnectors>")
	})
	c := tk.admin()
	var first bridgeJSON
	// Up, and the first probe back: the RTT is known one round trip after
	// the link comes up.
	servertest.WaitFor(t, 10*time.Second, "tokyo's bridge to singapore up with an RTT", func() bool {
		first = bridgesOf(t, c)["tokyo_to_singapore"]
		return first.State == "up" && first.RTT != ""
	})
	if first.RemoteBroker != "singapore" || first.RemoteAddress != sg.srv.Addr("tcp").String() || !first.Duplex ||
		first.CreatedByDuplex || first.Since.IsZero() || first.RTT == "" || first.Connector != "tokyo_to_singapore" {
		t.Fatalf("bridge = %+v", first)
	}
	// Singapore shows the duplex bridge as created by duplex.
	var sgBridge bridgeJSON
	servertest.WaitFor(t, 10*time.Second, "singapore's side of the duplex bridge", func() bool {
		for _, b := range bridgesOf(t, sg.admin()) {
			sgBridge = b
			return b.State == "up"
		}
		return false
	})
	if !sgBridge.CreatedByDuplex || sgBridge.RemoteBroker != "tokyo" {
		t.Fatalf("singapore's bridge = %+v", sgBridge)
	}

	var topo topology
	c.mustJSON(http.StatusOK, "GET", "/api/v1/network", nil, &topo)
	if len(topo.Nodes) != 2 || topo.Nodes[0].Name != "tokyo" || !topo.Nodes[0].Self || topo.Nodes[0].Hops != 0 ||
		topo.Nodes[1].Name != "singapore" || topo.Nodes[1].Self || topo.Nodes[1].Hops != 1 {
		t.Fatalf("nodes = %+v", topo.Nodes)
	}
	if len(topo.Edges) != 1 || topo.Edges[0].From != "tokyo" || topo.Edges[0].To != "singapore" || topo.Edges[0].State != "up" ||
		!topo.Edges[0].Duplex || topo.Edges[0].Bridge != "tokyo_to_singapore" {
		t.Fatalf("edges = %+v", topo.Edges)
	}

	// Apply a configuration with a second bridge, without a restart.
	cfg := running(t, c)
	withOsaka := strings.Replace(cfg.XML, "</networkConnectors>", "  "+networkConnector("tokyo_to_osaka", osaka, false)+"\n  </networkConnectors>", 1)
	var a applied
	c.mustJSON(http.StatusOK, "POST", "/api/v1/config/apply", map[string]string{"xml": withOsaka, "comment": "bridge to osaka"}, &a)
	if a.Revision != 2 || strings.Join(toStrings(a.Changes["networkConnectorsAdded"]), ",") != "tokyo_to_osaka" {
		t.Fatalf("apply answered %+v", a)
	}
	servertest.WaitFor(t, 10*time.Second, "the bridge to osaka", func() bool {
		b := bridgesOf(t, c)["tokyo_to_osaka"]
		return b.State == "up" && b.RemoteBroker == "osaka"
	})
	if b := bridgesOf(t, c)["tokyo_to_singapore"]; b.State != "up" || !b.Since.Equal(first.Since) {
		t.Fatalf("the first bridge was disturbed: %+v (was up since %v)", b, first.Since)
	}
	servertest.WaitFor(t, 5*time.Second, "osaka in the picture", func() bool {
		topo = topology{}
		c.mustJSON(http.StatusOK, "GET", "/api/v1/network", nil, &topo)
		return len(topo.Nodes) == 3 && len(topo.Edges) == 2
	})

	// Roll back: the bridge to osaka goes, the first stays.
	a = applied{}
	c.mustJSON(http.StatusOK, "POST", "/api/v1/config/revisions/1/rollback", nil, &a)
	if strings.Join(toStrings(a.Changes["networkConnectorsRemoved"]), ",") != "tokyo_to_osaka" {
		t.Fatalf("rollback answered %+v", a)
	}
	bs := bridgesOf(t, c)
	if _, ok := bs["tokyo_to_osaka"]; ok {
		t.Fatalf("the rolled-back bridge is still listed: %+v", bs)
	}
	if b := bs["tokyo_to_singapore"]; b.State != "up" || !b.Since.Equal(first.Since) {
		t.Fatalf("the first bridge was disturbed by the rollback: %+v", b)
	}
}

func toStrings(v any) []string {
	l, _ := v.([]any)
	out := make([]string, 0, len(l))
	for _, x := range l {
		s, _ := x.(string)
		out = append(out, s)
	}
	return out
}
