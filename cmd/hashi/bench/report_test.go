package bench

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReport(t *testing.T) {
	res := func(workload, broker string, msgs, p50 float64, lost int64) Result {
		return Result{Scenario: FanIn, MsgsPerSec: msgs, P50us: p50, P90us: p50 * 2, MaxUs: p50 * 3,
			Counts: Counts{Expected: 1000, Received: 1000 - lost, Lost: lost},
			Tags:   map[string]string{"workload": workload, "broker": broker, "metric": "msgs_per_sec,p50_us", "title": "QoS 0 fan-in 8→1"}}
	}
	var rs []Result
	for i, v := range []float64{100, 300, 200} { // median 200
		rs = append(rs, res("fanin", "hashi", v*1000, 50, int64(i)))
	}
	for _, v := range []float64{90, 110} { // median 100
		rs = append(rs, res("fanin", "mosquitto", v*1000, 100, 0))
	}
	rs[1].Errors = []string{"subscriber: read tcp 127.0.0.1:4000->127.0.0.1:1883: i/o timeout"}
	rs[2].Errors = []string{"subscriber: read tcp 127.0.0.1:4711->127.0.0.1:1883: i/o timeout"}
	rs = append(rs, Result{Scenario: Conns, Conns: 10000, RSSAfterKiB: 5000, RSSPerConnKiB: 12.5, ConnectPerSec: 8000,
		Tags: map[string]string{"workload": "conns", "broker": "hashi", "metric": "rss_per_conn_kib,connect_per_sec"}})
	dir := t.TempDir()
	file := filepath.Join(dir, "r.jsonl")
	var buf bytes.Buffer
	for _, r := range rs {
		b, _ := json.Marshal(r)
		buf.Write(b)
		buf.WriteString("\n\n")
	}
	if err := os.WriteFile(file, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	back, err := ReadResults(file)
	if err != nil || len(back) != len(rs) {
		t.Fatalf("%d results, %v", len(back), err)
	}
	svg := filepath.Join(dir, "c.svg")
	var out bytes.Buffer
	if err := Report(&out, back, ReportOptions{SVGPath: svg, SVGHref: "img/c.svg", Brokers: []string{"nats", "mosquitto"}}); err != nil {
		t.Fatal(err)
	}
	md := out.String()
	for _, want := range []string{
		"| Workload | Metric | mosquitto | hashi |",
		"| QoS 0 fan-in 8→1 | msgs/s | 100,000 | 200,000 (2.00×) |",
		"| QoS 0 fan-in 8→1 | p50 latency µs | 100 | 50.0 (0.500×) |",
		"| conns | RSS KiB/conn | — | 12.5 |",
		"| conns | connects/s | — | 8,000 |",
		"| QoS 0 fan-in 8→1 | lost 0% of 2,000 | lost 0.100% of 3,000, 2 error(s) |",
		"ratio to mosquitto in the same workload",
		"lost 0.100% of 3,000, 2 error(s)",
		"- QoS 0 fan-in 8→1, hashi: `subscriber: read tcp 127.0.0.1:…->127.0.0.1:…: i/o timeout` (2×)",
		"10,000 conns",
		"1 to 3 runs per cell",
		"![msgs/s per broker and workload](img/c.svg)",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("report lacks %q:\n%s", want, md)
		}
	}
	b, err := os.ReadFile(svg)
	if err != nil {
		t.Fatal(err)
	}
	d := xml.NewDecoder(bytes.NewReader(b))
	rects := 0
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("SVG is not well-formed: %v", err)
		}
		if se, ok := tok.(xml.StartElement); ok && se.Name.Local == "rect" {
			rects++
		}
	}
	if rects != 1+2+2 { // background, legend, bars
		t.Errorf("%d rects in the chart", rects)
	}
	out.Reset()
	if err := Report(&out, back, ReportOptions{Delta: true}); err != nil {
		t.Fatal(err)
	}
	if want := "| QoS 0 fan-in 8→1 | p50 latency µs | 50.0 (0.500×, −50.0) | 100 |"; !strings.Contains(out.String(), want) {
		t.Errorf("report lacks %q:\n%s", want, out.String())
	}
	if err := Report(io.Discard, nil, ReportOptions{}); err == nil {
		t.Error("empty report accepted")
	}
}

func TestFormatNum(t *testing.T) {
	for v, want := range map[float64]string{0: "0", 0.5: "0.500", 12.345: "12.3", 99.94: "99.9", 100: "100", 1234567.8: "1,234,568", -1500: "-1,500"} {
		if got := formatNum(v); got != want {
			t.Errorf("formatNum(%v) = %q, want %q", v, got, want)
		}
	}
}

// Ratios are taken round by round and their median shown: a round in which
// the machine was slow for both brokers does not count against either.
func TestReportComparesWithinRounds(t *testing.T) {
	res := func(broker, round string, msgs float64) Result {
		return Result{Scenario: FanIn, MsgsPerSec: msgs, Counts: Counts{Expected: 10, Received: 10},
			Tags: map[string]string{"workload": "fanin", "broker": broker, "round": round, "baseline": "mosquitto"}}
	}
	var rs []Result
	for i, v := range []float64{100, 200, 300} { // median 200
		rs = append(rs, res("hashi", fmt.Sprint(i), v))
	}
	for i, v := range []float64{50, 400, 150} { // median 150; per round 2, 0.5, 2
		rs = append(rs, res("mosquitto", fmt.Sprint(i), v))
	}
	rs = append(rs, res("nats", "", 300)) // no round: medians overall, 300/150
	var out bytes.Buffer
	if err := Report(&out, rs, ReportOptions{Brokers: []string{"mosquitto", "hashi", "nats"}, Delta: true}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"| 200 (2.00×, +50.0) |", "| 300 (2.00×, +150) |", "measured round by round"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, out.String())
		}
	}
}
