package xml

import (
	"testing"
)

// TestBrokenFiles pins the exact file:line:col and text of each problem.
func TestBrokenFiles(t *testing.T) {
	for _, tc := range []struct {
		file    string
		nilConf bool
		want    []string
	}{
		{"malformed.xml", true, []string{
			"testdata/broken/malformed.xml:5:3: element <transportConnector> closed by </transportConnectors> (opened at 4:5)"}},
		{"bad-bool.xml", false, []string{
			`testdata/broken/bad-bool.xml:3:9: broker: persistent: "yes" is not a boolean (want true or false)`}},
		{"bad-size.xml", false, []string{
			`testdata/broken/bad-size.xml:4:33: memoryUsage: limit: "20 mega" is not a size (want a number with an optional unit b, kb, mb or gb)`}},
		{"placeholder.xml", false, []string{
			"testdata/broken/placeholder.xml:2:23: broker: dataDirectory: unresolvable placeholder ${no.such.property}"}},
		{"both-kinds.xml", false, []string{
			"testdata/broken/both-kinds.xml:5:39: authorizationEntry: names both queue and topic; an entry applies to one kind of destination",
			"testdata/broken/both-kinds.xml:6:7: authorizationEntry: names neither queue nor topic (nor tempQueue/tempTopic)"}},
		{"bad-network.xml", false, []string{
			`testdata/broken/bad-network.xml:3:36: networkConnector "tokyo": uri "static:(tcp://h1:61616,http://h2:8080)": peer "http://h2:8080": scheme "http" is not supported for network bridges (want tcp, ssl, nio, nio+ssl, auto, auto+ssl, stomp or stomp+ssl)`,
			`testdata/broken/bad-network.xml:4:36: networkConnector "osaka": uri "masterslave:(tcp://h3:61616)": masterslave: needs at least 2 uris, got 1`,
			`testdata/broken/bad-network.xml:5:5: networkConnector "nagoya": prefetchSize must be > 0, got 0`,
			`testdata/broken/bad-network.xml:5:5: networkConnector "nagoya": messageTTL must be >= -1, got -2`}},
		{"no-port.xml", false, []string{
			`testdata/broken/no-port.xml:3:37: transportConnector "mqtt": uri "mqtt://0.0.0.0": missing port`,
			`testdata/broken/no-port.xml:4:5: transportConnector "tls": mqtt+ssl needs TLS but the broker has no <sslContext>`,
			`testdata/broken/no-port.xml:5:5: transportConnector "dup": address 127.0.0.1:8883 is already used by transportConnector "tls" (4:5)`}},
		{"two-brokers.xml", false, []string{
			"testdata/broken/two-brokers.xml:3:3: more than one <broker> element (the first is at 2:3)"}},
		{"misspelled-gc.xml", false, []string{
			`testdata/broken/misspelled-gc.xml:3:89: policyEntry queue=">": both inactiveTimeoutBeforeGC and its misspelling inactiveTimoutBeforeGC are given; keep one`}},
	} {
		t.Run(tc.file, func(t *testing.T) {
			c, ps := load(t, "testdata/broken/"+tc.file)
			if (c == nil) != tc.nilConf {
				t.Errorf("config nil = %v, want %v", c == nil, tc.nilConf)
			}
			if got, want := dump(ps), joinLines(tc.want); got != want {
				t.Errorf("problems:\n%s\nwant:\n%s", got, want)
			}
		})
	}
}

func joinLines(s []string) string {
	out := ""
	for i, l := range s {
		if i > 0 {
			out += "\n"
		}
		out += l
	}
	return out
}

// TestMalformedXML checks that syntax errors point at the error.
func TestMalformedXML(t *testing.T) {
	const ns = `xmlns="http://activemq.apache.org/schema/core"`
	for _, tc := range []struct{ doc, want string }{
		{"<broker " + ns + ">\n  <plugins>\n", "m.xml:3:1: unexpected end of file: the element opened at 2:3 is not closed"},
		{"<broker " + ns + ">\n  <plugins>\n  </broker>\n", "m.xml:3:3: element <plugins> closed by </broker> (opened at 2:3)"},
		{"<broker " + ns + "/>\n</broker>\n", "m.xml:2:1: unexpected end element </broker>"},
		{"<broker " + ns + " brokerName=\"a>\n", "m.xml:2:1: unexpected EOF"},
		{"<broker " + ns + ">&nope;</broker>", "m.xml:1:56: invalid character entity &nope;"},
		{"<broker " + ns + " persistent=true/>", "m.xml:1:68: unquoted or missing attribute value in element"},
		{"", "m.xml:1:1: no XML element in the file"},
		{"just text", "m.xml:1:1: no XML element in the file"},
	} {
		c, ps := Load("m.xml", []byte(tc.doc), Options{WorkDir: "/srv", LookupEnv: envOf(nil)})
		if c != nil || len(ps) != 1 || ps[0].String() != tc.want {
			t.Errorf("%q:\n got %v %s\nwant %s", tc.doc, c != nil, dump(ps), tc.want)
		}
	}
}
