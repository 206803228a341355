package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/pprof"
	"slices"
	"strings"
	"syscall"

	"github.com/hashicorp/go-hclog"

	"github.com/hashi-broker/hashi/cmd/hashi/bench"
)

const benchUsage = `Usage:
  hashi bench SCENARIO [flags]      run a load test; one JSON line per result on stdout
  hashi bench relay --listen ADDR --to ADDR [--delay D] [--drop-every N ...]
  hashi bench sink [--listen ADDR]  a trivial MQTT broker that fans every PUBLISH out, no checks
  hashi bench report [--svg FILE --svg-href HREF] [--brokers A,B] [--delta] RESULTS.jsonl...

Scenarios: fanin (P→1), fanout (1→S), latency (fixed rate), conns (idle
connections, broker RSS per connection with --pid), bridge (--url → --sub-url),
queue (STOMP queue with receipts). Run "hashi bench SCENARIO -h" for the flags.
`

// cmdBench is `hashi bench`: the load generator of cmd/hashi/bench.
func cmdBench(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, benchUsage)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// The generator allocates per message against a small live heap, as
	// the broker does (gc.go): without the floor its collector slowed the
	// STOMP queue workload by a tenth to a fifth. It also runs on one
	// thread while it is nearly idle (procs.go): with a spare thread
	// spinning on the second core, each message of a latency run cost the
	// generator itself 35 µs of p50, which it added to every broker's.
	gcBusy, stopGC := startGCTuner(gcFloor)
	defer stopGC()
	defer startProcsTuner(hclog.NewNullLogger(), gcBusy)()
	switch args[0] {
	case "help", "-h", "--help":
		fmt.Fprint(stdout, benchUsage)
		return 0
	case "relay":
		return benchRelay(ctx, args[1:], stderr)
	case "sink":
		return benchSink(ctx, args[1:], stderr)
	case "report":
		return benchReport(args[1:], stdout, stderr)
	}
	if !slices.Contains(bench.Scenarios, bench.Scenario(args[0])) {
		fmt.Fprintf(stderr, "hashi bench: unknown scenario %q\n\n%s", args[0], benchUsage)
		return 2
	}
	cfg, err := bench.ParseFlags(args[0], args[1:], stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "hashi bench:", err)
		return 2
	}
	cfg.Progress = stderr
	if cfg.CPUProfile != "" {
		f, err := os.Create(cfg.CPUProfile)
		if err == nil {
			err = pprof.StartCPUProfile(f)
		}
		if err != nil {
			fmt.Fprintln(stderr, "hashi bench: CPU profile:", err)
			return 1
		}
		defer func() {
			pprof.StopCPUProfile()
			f.Close()
		}()
	}
	res, err := bench.Run(ctx, cfg)
	if err != nil {
		fmt.Fprintln(stderr, "hashi bench:", err)
		return 1
	}
	if err := json.NewEncoder(stdout).Encode(res); err != nil {
		fmt.Fprintln(stderr, "hashi bench:", err)
		return 1
	}
	return 0
}

func benchRelay(ctx context.Context, args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet("bench relay", flag.ContinueOnError)
	fs.SetOutput(stderr)
	listen := fs.String("listen", "127.0.0.1:0", "address to listen on")
	to := fs.String("to", "", "broker address host:port")
	var f bench.Faults
	fs.IntVar(&f.DropEvery, "drop-every", 0, "drop every Nth PUBLISH towards clients")
	fs.IntVar(&f.DupEvery, "dup-every", 0, "send every Nth PUBLISH twice")
	fs.IntVar(&f.CorruptEvery, "corrupt-every", 0, "invert the last payload byte of every Nth PUBLISH")
	fs.IntVar(&f.SwapEvery, "swap-every", 0, "send every Nth PUBLISH after the next one")
	fs.DurationVar(&f.Delay, "delay", 0, "hold every byte this long in each direction (WAN latency without netem)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *to == "" {
		fmt.Fprintln(stderr, "hashi bench relay: --to is required")
		return 2
	}
	r, err := bench.NewRelay(*listen, *to, f)
	if err != nil {
		fmt.Fprintln(stderr, "hashi bench relay:", err)
		return 1
	}
	fmt.Fprintf(stderr, "hashi bench relay: %s → %s\n", r.Addr(), *to)
	<-ctx.Done()
	r.Close()
	fmt.Fprintf(stderr, "hashi bench relay: injected %+v\n", r.Injected())
	return 0
}

func benchSink(ctx context.Context, args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet("bench sink", flag.ContinueOnError)
	fs.SetOutput(stderr)
	listen := fs.String("listen", "127.0.0.1:1883", "address to listen on")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	s, err := bench.NewSink(*listen)
	if err != nil {
		fmt.Fprintln(stderr, "hashi bench sink:", err)
		return 1
	}
	fmt.Fprintf(stderr, "hashi bench sink: listening on %s\n", s.Addr())
	<-ctx.Done()
	s.Close()
	in, out := s.Counts()
	fmt.Fprintf(stderr, "hashi bench sink: %d PUBLISH in, %d out\n", in, out)
	return 0
}

func benchReport(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("bench report", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var opts bench.ReportOptions
	fs.StringVar(&opts.SVGPath, "svg", "", "write a bar chart of msgs/s per broker and workload to this file")
	fs.StringVar(&opts.SVGHref, "svg-href", "", "link to the chart in the markdown (default: --svg)")
	brokers := fs.String("brokers", "", "comma-separated column order (default: order of appearance)")
	fs.BoolVar(&opts.Delta, "delta", false, "show the difference to the baseline next to the ratio")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *brokers != "" {
		opts.Brokers = strings.Split(*brokers, ",")
	}
	var results []bench.Result
	for _, path := range fs.Args() {
		rs, err := bench.ReadResults(path)
		if err != nil {
			fmt.Fprintln(stderr, "hashi bench report:", err)
			return 1
		}
		results = append(results, rs...)
	}
	if err := bench.Report(stdout, results, opts); err != nil {
		fmt.Fprintln(stderr, "hashi bench report:", err)
		return 1
	}
	return 0
}
