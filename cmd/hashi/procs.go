package main

import (
	"os"
	"runtime"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
)

// Go runs goroutines on GOMAXPROCS threads, one per core by default, and
// keeps a spare thread spinning whenever one finds work, so that another
// core picks up the next runnable goroutine at once. That is what a broker
// under load needs, but at light load every message then wakes a second
// thread on another core: measured at 2,000 QoS 0 messages a second on 2
// cores, GOMAXPROCS=1 took 13 µs off the p50 latency and 22 µs off the p90
// (paired runs), which put Hashi ahead of Mosquitto, an event loop on one
// thread. So the broker runs on one thread while it uses little CPU, like
// an event loop, and on every core as soon as it is busy: the procs tuner
// samples the process's CPU time every procsSample and moves GOMAXPROCS
// between 1 and the number of cores. A GOMAXPROCS set in the environment
// turns it off. The GC tuner (gc.go) follows the same decision.
const (
	procsSample = 100 * time.Millisecond
	// procsBusy is the CPU use, in cores, at which one thread is too few:
	// half a core, well before one thread saturates.
	procsBusy = 0.5
	// procsIdle is the CPU use under which the broker goes back to one
	// thread, once it stayed there for procsQuiet.
	procsIdle  = 0.25
	procsQuiet = 2 * time.Second
)

// procsPolicy decides the number of threads from CPU use samples.
type procsPolicy struct {
	max, cur int
	quietFor time.Duration // procsQuiet
	quiet    time.Duration // how long the use has been under procsIdle
}

// next returns the GOMAXPROCS after a sample of used cores over dt.
func (p *procsPolicy) next(used float64, dt time.Duration) int {
	switch {
	case used >= procsBusy:
		p.quiet = 0
		p.cur = p.max
	case used < procsIdle:
		p.quiet += dt
		if p.quiet >= p.quietFor {
			p.cur = 1
		}
	default:
		p.quiet = 0
	}
	return p.cur
}

// procsTuner applies procsPolicy to the process.
type procsTuner struct {
	policy procsPolicy
	cpu    func() time.Duration // the process's CPU time so far
	set    func(int)            // runtime.GOMAXPROCS
	every  time.Duration
	stop   chan struct{}
	done   sync.WaitGroup
}

// startProcsTuner starts tuning unless GOMAXPROCS is set, the machine has
// one core, or the process's CPU time cannot be read; stop ends it and
// gives the runtime back all cores.
func startProcsTuner(log hclog.Logger, busy func(bool)) (stop func()) {
	n := runtime.GOMAXPROCS(0)
	if os.Getenv("GOMAXPROCS") != "" || n < 2 {
		return func() {}
	}
	if _, ok := processCPU(); !ok {
		return func() {}
	}
	t := newProcsTuner(procsPolicy{max: n, quietFor: procsQuiet}, func() time.Duration { d, _ := processCPU(); return d }, func(k int) {
		runtime.GOMAXPROCS(k)
		busy(k > 1)
		log.Debug("threads for goroutines", "GOMAXPROCS", k)
	}, procsSample)
	return t.close
}

func newProcsTuner(p procsPolicy, cpu func() time.Duration, set func(int), every time.Duration) *procsTuner {
	p.cur = 1
	t := &procsTuner{policy: p, cpu: cpu, set: set, every: every, stop: make(chan struct{})}
	set(1)
	t.done.Add(1)
	go t.run()
	return t
}

func (t *procsTuner) run() {
	defer t.done.Done()
	tick := time.NewTicker(t.every)
	defer tick.Stop()
	lastCPU, last := t.cpu(), time.Now()
	for {
		select {
		case <-t.stop:
			return
		case now := <-tick.C:
			c := t.cpu()
			dt := now.Sub(last)
			if dt <= 0 {
				continue
			}
			cur := t.policy.cur
			if k := t.policy.next(float64(c-lastCPU)/float64(dt), dt); k != cur {
				t.set(k)
			}
			lastCPU, last = c, now
		}
	}
}

func (t *procsTuner) close() {
	close(t.stop)
	t.done.Wait()
	t.set(t.policy.max)
}
