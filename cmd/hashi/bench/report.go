package bench

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// ReportOptions shape Report's output.
type ReportOptions struct {
	SVGPath string   // write the chart here ("" = no chart)
	SVGHref string   // the chart's link in the markdown (default SVGPath)
	Brokers []string // column order; brokers not named follow in order of appearance
	Delta   bool     // also show the difference to the baseline ("+106")
}

// ReadResults reads a file of JSON result lines (blank lines are skipped).
func ReadResults(path string) ([]Result, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []Result
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for line := 1; sc.Scan(); line++ {
		b := sc.Bytes()
		if len(strings.TrimSpace(string(b))) == 0 {
			continue
		}
		var r Result
		if err := json.Unmarshal(b, &r); err != nil {
			return nil, fmt.Errorf("%s:%d: %w", path, line, err)
		}
		out = append(out, r)
	}
	return out, sc.Err()
}

// workload is the results of one workload, per broker.
type workload struct {
	name, title string
	metrics     []string
	baseline    string
	byBroker    map[string][]Result
}

// group sorts results by the tags workload (default: the scenario) and
// broker (default: the URL), keeping the order of first appearance.
func group(results []Result) (wls []*workload, brokers []string) {
	idx := map[string]*workload{}
	for _, r := range results {
		name, broker := r.Tags["workload"], r.Tags["broker"]
		if name == "" {
			name = string(r.Scenario)
		}
		if broker == "" {
			broker = r.URL
		}
		w := idx[name]
		if w == nil {
			w = &workload{name: name, title: name, metrics: []string{"msgs_per_sec"}, byBroker: map[string][]Result{}}
			idx[name] = w
			wls = append(wls, w)
		}
		if t := r.Tags["title"]; t != "" {
			w.title = t
		}
		if m := r.Tags["metric"]; m != "" {
			w.metrics = strings.Split(m, ",")
		}
		if b := r.Tags["baseline"]; b != "" {
			w.baseline = b
		}
		w.byBroker[broker] = append(w.byBroker[broker], r)
		if !slices.Contains(brokers, broker) {
			brokers = append(brokers, broker)
		}
	}
	for _, w := range wls {
		if w.baseline == "" {
			if _, ok := w.byBroker["mosquitto"]; ok {
				w.baseline = "mosquitto"
			}
		}
	}
	return wls, brokers
}

// median of the metric over rs; ok is false when no result has it.
func median(rs []Result, metric string) (float64, bool) {
	var vs []float64
	for i := range rs {
		if v, ok := rs[i].Metric(metric); ok {
			vs = append(vs, v)
		}
	}
	return medianOf(vs)
}

// medianOf returns the median of vs, which it sorts.
func medianOf(vs []float64) (float64, bool) {
	if len(vs) == 0 {
		return 0, false
	}
	slices.Sort(vs)
	if len(vs)%2 == 1 {
		return vs[len(vs)/2], true
	}
	return (vs[len(vs)/2-1] + vs[len(vs)/2]) / 2, true
}

// compare returns how rs compares with base on metric: the median over
// rounds (the tag round) of the ratio and of the difference between their
// medians in the same round. The machine's load drifts from round to
// round, and a comparison within a round cancels what it does to both.
// Results without rounds in common are compared by their medians overall.
func compare(rs, base []Result, metric string) (ratio, delta float64, ok bool) {
	byRound := func(rs []Result) map[string][]Result {
		m := map[string][]Result{}
		for _, r := range rs {
			if round := r.Tags["round"]; round != "" {
				m[round] = append(m[round], r)
			}
		}
		return m
	}
	mine, theirs := byRound(rs), byRound(base)
	var ratios, deltas []float64
	for round, a := range mine {
		v, ok1 := median(a, metric)
		b, ok2 := median(theirs[round], metric)
		if ok1 && ok2 && b != 0 {
			ratios, deltas = append(ratios, v/b), append(deltas, v-b)
		}
	}
	if len(ratios) == 0 {
		v, ok1 := median(rs, metric)
		b, ok2 := median(base, metric)
		if !ok1 || !ok2 || b == 0 {
			return 0, 0, false
		}
		return v / b, v - b, true
	}
	ratio, _ = medianOf(ratios)
	delta, _ = medianOf(deltas)
	return ratio, delta, true
}

var metricNames = map[string]string{
	"msgs_per_sec":      "msgs/s",
	"mb_per_sec":        "MB/s",
	"send_msgs_per_sec": "sent msgs/s",
	"p50_us":            "p50 latency µs",
	"p90_us":            "p90 latency µs",
	"p99_us":            "p99 latency µs",
	"max_us":            "max latency µs",
	"rss_per_conn_kib":  "RSS KiB/conn",
	"connect_per_sec":   "connects/s",
	"cpu_per_conn_us":   "broker CPU µs/conn",
	"lost_pct":          "lost %",
}

// lowerIsBetter tells how to read a metric's ratio.
func lowerIsBetter(metric string) bool {
	return strings.HasSuffix(metric, "_us") || metric == "rss_per_conn_kib" || metric == "lost_pct"
}

func metricName(m string) string {
	if n, ok := metricNames[m]; ok {
		return n
	}
	return m
}

// formatNum prints v with thousands separators, or three significant
// digits below 100.
func formatNum(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "—"
	}
	if v == 0 {
		return "0"
	}
	if math.Abs(v) < 100 {
		return strconv.FormatFloat(v, 'f', max(0, 2-int(math.Floor(math.Log10(math.Max(math.Abs(v), 0.001))))), 64)
	}
	s := strconv.FormatInt(int64(math.Round(v)), 10)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 && s[i-1] != '-' {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// Report writes markdown tables of medians (with ratios against each
// workload's baseline broker: the tag baseline, else mosquitto) and of
// delivery counts, and optionally an SVG chart of msgs/s.
func Report(w io.Writer, results []Result, opts ReportOptions) error {
	wls, seen := group(results)
	if len(wls) == 0 {
		return fmt.Errorf("no results")
	}
	var brokers []string
	for _, b := range opts.Brokers {
		if slices.Contains(seen, b) && !slices.Contains(brokers, b) {
			brokers = append(brokers, b)
		}
	}
	for _, b := range seen {
		if !slices.Contains(brokers, b) {
			brokers = append(brokers, b)
		}
	}
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "| Workload | Metric | %s |\n|---|---|%s\n", strings.Join(brokers, " | "), strings.Repeat("---:|", len(brokers)))
	for _, wl := range wls {
		for _, m := range wl.metrics {
			fmt.Fprintf(bw, "| %s | %s |", wl.title, metricName(m))
			for _, b := range brokers {
				v, ok := median(wl.byBroker[b], m)
				ratio, delta, hasRatio := compare(wl.byBroker[b], wl.byBroker[wl.baseline], m)
				switch {
				case !ok:
					fmt.Fprint(bw, " — |")
				case hasRatio && b != wl.baseline && opts.Delta:
					sign := "+"
					if delta < 0 {
						sign = "−"
					}
					fmt.Fprintf(bw, " %s (%s×, %s%s) |", formatNum(v), formatNum(ratio), sign, formatNum(math.Abs(delta)))
				case hasRatio && b != wl.baseline:
					fmt.Fprintf(bw, " %s (%s×) |", formatNum(v), formatNum(ratio))
				default:
					fmt.Fprintf(bw, " %s |", formatNum(v))
				}
			}
			fmt.Fprintln(bw)
		}
	}
	fmt.Fprintf(bw, "\nMedians over %s. In parentheses: the ratio to %s, "+
		"measured round by round (both brokers' medians in the same round) and the median of those taken; "+
		"for msgs/s, MB/s and connects/s higher is better, for latency, RSS and CPU lower is better.\n", runsText(wls), baselineText(wls))

	fmt.Fprintf(bw, "\n#### Delivery (all rounds summed)\n\n| Workload | %s |\n|---|%s\n", strings.Join(brokers, " | "), strings.Repeat("---|", len(brokers)))
	for _, wl := range wls {
		fmt.Fprintf(bw, "| %s |", wl.title)
		for _, b := range brokers {
			fmt.Fprintf(bw, " %s |", deliveryCell(wl.byBroker[b]))
		}
		fmt.Fprintln(bw)
	}
	if errs := errorLines(wls, brokers); len(errs) > 0 {
		fmt.Fprintf(bw, "\n#### Errors reported by the runs\n\n")
		for _, e := range errs {
			fmt.Fprintln(bw, e)
		}
	}
	if opts.SVGPath != "" {
		href := opts.SVGHref
		if href == "" {
			href = opts.SVGPath
		}
		f, err := os.Create(opts.SVGPath)
		if err != nil {
			return err
		}
		if err := chart(f, wls, brokers); err != nil {
			f.Close()
			return err
		}
		if err := f.Close(); err != nil {
			return err
		}
		fmt.Fprintf(bw, "\n![msgs/s per broker and workload](%s)\n", href)
	}
	return bw.Flush()
}

func baselineText(wls []*workload) string {
	var names []string
	for _, wl := range wls {
		if wl.baseline != "" && !slices.Contains(names, wl.baseline) {
			names = append(names, wl.baseline)
		}
	}
	if len(names) == 0 {
		return "nothing (no baseline)"
	}
	return strings.Join(names, ", ") + " in the same workload"
}

func runsText(wls []*workload) string {
	lo, hi := math.MaxInt, 0
	for _, wl := range wls {
		for _, rs := range wl.byBroker {
			lo, hi = min(lo, len(rs)), max(hi, len(rs))
		}
	}
	if lo == hi {
		return strconv.Itoa(lo) + " run(s) per cell"
	}
	return fmt.Sprintf("%d to %d runs per cell", lo, hi)
}

var addrRE = regexp.MustCompile(`(\d+\.\d+\.\d+\.\d+|\[[0-9a-f:]+\]):\d+`)

// errorLines lists each distinct error of each cell once, with how many
// runs reported it (addresses' ports are blanked to group them).
func errorLines(wls []*workload, brokers []string) []string {
	var out []string
	for _, wl := range wls {
		for _, b := range brokers {
			var order []string
			count := map[string]int{}
			for _, r := range wl.byBroker[b] {
				for _, e := range r.Errors {
					e = addrRE.ReplaceAllString(e, "$1:…")
					if count[e] == 0 {
						order = append(order, e)
					}
					count[e]++
				}
			}
			for _, e := range order {
				out = append(out, fmt.Sprintf("- %s, %s: `%s` (%d×)", wl.title, b, e, count[e]))
			}
		}
	}
	return out
}

// deliveryCell summarizes the counts of a cell's runs.
func deliveryCell(rs []Result) string {
	if len(rs) == 0 {
		return "—"
	}
	var c Counts
	var errs, conns, failed, dropped int
	for _, r := range rs {
		c.add(r.Counts)
		errs += len(r.Errors)
		conns += r.Conns
		failed += r.ConnectFailed
		dropped += r.Dropped
	}
	var parts []string
	if rs[0].Scenario == Conns {
		parts = append(parts, fmt.Sprintf("%s conns", formatNum(float64(conns))))
		if failed > 0 {
			parts = append(parts, fmt.Sprintf("%d failed", failed))
		}
		if dropped > 0 {
			parts = append(parts, fmt.Sprintf("%d dropped", dropped))
		}
	} else {
		pct := 0.0
		if c.Expected > 0 {
			pct = 100 * float64(c.Lost) / float64(c.Expected)
		}
		parts = append(parts, fmt.Sprintf("lost %s%% of %s", formatNum(pct), formatNum(float64(c.Expected))))
		for _, x := range []struct {
			n    int64
			name string
		}{{c.Duplicated, "dup"}, {c.Reordered, "reordered"}, {c.Corrupt, "corrupt"}} {
			if x.n > 0 {
				parts = append(parts, fmt.Sprintf("%s %s", formatNum(float64(x.n)), x.name))
			}
		}
	}
	if errs > 0 {
		parts = append(parts, fmt.Sprintf("%d error(s)", errs))
	}
	return strings.Join(parts, ", ")
}
