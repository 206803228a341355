package bench

import (
	"bufio"
	"fmt"
	"html"
	"io"
	"slices"
)

var palette = []string{"#2f6fb0", "#e07b39", "#3a9a5b", "#b0413e", "#7d5fb2", "#8c8c8c", "#c9a227"}

// chart draws horizontal grouped bars of median msgs/s, one group per
// workload that measures msgs/s, one bar per broker. Bars are scaled per
// group (the fastest broker of a workload spans the width), and every bar
// is labelled with its value.
func chart(w io.Writer, wls []*workload, brokers []string) error {
	type bar struct {
		broker int
		v      float64
	}
	type grp struct {
		title string
		bars  []bar
		max   float64
	}
	var groups []grp
	for _, wl := range wls {
		if !slices.Contains(wl.metrics, "msgs_per_sec") {
			continue
		}
		g := grp{title: wl.title}
		for i, b := range brokers {
			if v, ok := median(wl.byBroker[b], "msgs_per_sec"); ok {
				g.bars = append(g.bars, bar{i, v})
				g.max = max(g.max, v)
			}
		}
		if len(g.bars) > 0 {
			groups = append(groups, g)
		}
	}
	const (
		width, left, right = 960, 300, 110
		barH, gap, top     = 16, 14, 60
	)
	height := top + 20
	for _, g := range groups {
		height += len(g.bars)*barH + gap
	}
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="12">`+"\n", width, height, width, height)
	fmt.Fprintf(bw, `<rect width="100%%" height="100%%" fill="white"/>`+"\n")
	fmt.Fprintf(bw, `<text x="10" y="20" font-size="15" font-weight="bold">Messages per second received (median), bars scaled per workload</text>`+"\n")
	x := 10
	for i, b := range brokers {
		fmt.Fprintf(bw, `<rect x="%d" y="32" width="12" height="12" fill="%s"/><text x="%d" y="43">%s</text>`+"\n", x, palette[i%len(palette)], x+16, html.EscapeString(b))
		x += 16 + 8*len(b) + 24
	}
	y := top
	for _, g := range groups {
		gh := len(g.bars) * barH
		fmt.Fprintf(bw, `<text x="%d" y="%d" text-anchor="end">%s</text>`+"\n", left-8, y+gh/2+4, html.EscapeString(g.title))
		for _, b := range g.bars {
			l := 0.0
			if g.max > 0 {
				l = b.v / g.max * float64(width-left-right)
			}
			fmt.Fprintf(bw, `<rect x="%d" y="%d" width="%.1f" height="%d" fill="%s"/>`, left, y+1, l, barH-2, palette[b.broker%len(palette)])
			fmt.Fprintf(bw, `<text x="%.1f" y="%d">%s</text>`+"\n", float64(left)+l+4, y+barH-4, formatNum(b.v))
			y += barH
		}
		fmt.Fprintf(bw, `<line x1="%d" x2="%d" y1="%d" y2="%d" stroke="#ddd"/>`+"\n", 10, width-10, y+gap/2, y+gap/2)
		y += gap
	}
	fmt.Fprintln(bw, "</svg>")
	return bw.Flush()
}
