package bench

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// run is the state of one publish/subscribe run (fanin, fanout, latency,
// bridge, queue).
type run struct {
	cfg      *Config
	epoch    time.Time
	pubs     []publisher
	subs     []subscriber
	trackers []*tracker
	sent     []atomic.Int64
	stopFlag atomic.Bool   // read per message
	stopped  chan struct{} // closed with stopFlag set
	stopOnce sync.Once
	forced   atomic.Bool // blocked publishers were closed by awaitPublishers

	mu   sync.Mutex
	errs []string
}

func (r *run) now() int64 { return int64(time.Since(r.epoch)) }

func (r *run) fail(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.errs) < 20 {
		r.errs = append(r.errs, fmt.Sprintf(format, args...))
	}
}

func runPubSub(ctx context.Context, cfg *Config, d *dialer, res *Result) error {
	pubEP, err := ParseURL(cfg.URL)
	if err != nil {
		return err
	}
	subEP := pubEP
	if cfg.SubURL != "" {
		if subEP, err = ParseURL(cfg.SubURL); err != nil {
			return err
		}
	}
	r := &run{cfg: cfg, epoch: time.Now(), sent: make([]atomic.Int64, cfg.Publishers), stopped: make(chan struct{})}
	defer r.closeAll()
	ref := newPayload(cfg.Size)
	for i := 0; i < cfg.Subscribers; i++ {
		t := newTracker(cfg.Publishers, ref, r.epoch)
		s, err := openSubscriber(ctx, d, subEP, cfg, i, func(p []byte) { t.add(p, r.now()) })
		if err != nil {
			return fmt.Errorf("subscriber %d: %w", i, err)
		}
		r.trackers = append(r.trackers, t)
		r.subs = append(r.subs, s)
	}
	for i := 0; i < cfg.Publishers; i++ {
		p, err := openPublisher(ctx, d, pubEP, cfg, i)
		if err != nil {
			return fmt.Errorf("publisher %d: %w", i, err)
		}
		r.pubs = append(r.pubs, p)
	}
	if cfg.Scenario != Queue {
		if err := r.warmup(ctx); err != nil {
			return err
		}
	}

	stopWatch := context.AfterFunc(ctx, r.stop)
	defer stopWatch()
	if cfg.Duration > 0 {
		t := time.AfterFunc(cfg.Duration, r.stop)
		defer t.Stop()
	}
	prog := startProgress(cfg.Progress, string(cfg.Scenario), r.progressLine)
	start := r.now()
	var wg sync.WaitGroup
	for i, p := range r.pubs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := r.publishLoop(i, p, start); err != nil && !r.forced.Load() {
				r.fail("publisher %d: %v", i, err)
			}
		}()
	}
	r.awaitPublishers(&wg)
	pubEnd := r.now()
	r.awaitDelivery(ctx)
	prog.stop()
	var nacked int64
	for _, p := range r.pubs {
		res.Acked += p.acked()
		nacked += p.nacked()
	}
	if nacked > 0 {
		r.fail("%d publishes refused by the broker (MQTT 5 reason code >= 0x80)", nacked)
	}
	r.closeAll()
	r.result(res, start, pubEnd)
	return nil
}

// warmup sends probes until every subscriber has received one, so that the
// run measures a path that carries messages (a bridge needs time to learn
// of a remote subscriber).
func (r *run) warmup(ctx context.Context) error {
	probe := newPayload(r.cfg.Size)
	deadline := time.Now().Add(r.cfg.Warmup)
	for n := uint64(0); ; n++ {
		ready := true
		for _, t := range r.trackers {
			ready = ready && t.probed.Load()
		}
		if ready {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("warm-up: a subscriber received no probe within %v (does the broker route %q?)", r.cfg.Warmup, r.cfg.Topic)
		}
		if n%5 == 0 {
			putHeader(probe, header{pub: ProbeID, seq: n, sent: r.now()})
			if err := r.pubs[0].probe(probe); err != nil {
				return fmt.Errorf("warm-up: %w", err)
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// publishLoop sends publisher i's messages: Messages of them, or until the
// run stops, at Rate/Publishers per second when a rate is set.
func (r *run) publishLoop(i int, p publisher, start int64) error {
	cfg := r.cfg
	buf := newPayload(cfg.Size)
	var interval float64 // ns between two messages of this publisher
	if cfg.Rate > 0 {
		interval = float64(cfg.Publishers) / cfg.Rate * 1e9
	}
	t0 := start + int64(float64(i)*interval/float64(cfg.Publishers))
	var sl *sleeper
	if interval > 0 {
		sl = newSleeper()
		defer sl.close()
	}
	sent := &r.sent[i]
	for seq := uint64(0); cfg.Messages == 0 || seq < uint64(cfg.Messages); seq++ {
		if r.stopFlag.Load() {
			break
		}
		now := r.now()
		if interval > 0 {
			if d := t0 + int64(float64(seq)*interval) - now; d > 0 {
				sl.sleep(time.Duration(d))
				now = r.now()
			}
		}
		putHeader(buf, header{pub: uint32(i), seq: seq, sent: now})
		if err := p.publish(buf); err != nil {
			return err
		}
		sent.Add(1)
	}
	return nil
}

// awaitPublishers waits for the publishing goroutines. Once the run should
// have stopped, publishers still blocked after Drain (a broker that stopped
// acknowledging or reading) are closed, which ends their waits.
func (r *run) awaitPublishers(wg *sync.WaitGroup) {
	done := make(chan struct{})
	go func() {
		wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return
	case <-r.stopped:
	}
	select {
	case <-done:
	case <-time.After(r.cfg.Drain):
		r.fail("publishers still blocked %v after the run ended (the broker stopped acknowledging or reading): closed", r.cfg.Drain)
		r.forced.Store(true)
		for _, p := range r.pubs {
			p.close()
		}
		<-done
	}
}

// stop ends publishing (at Duration, or when ctx ends).
func (r *run) stop() {
	r.stopOnce.Do(func() {
		r.stopFlag.Store(true)
		close(r.stopped)
	})
}

// awaitDelivery waits until every acknowledgement and message arrived,
// nothing arrived for Idle, Drain passed, or ctx ended.
func (r *run) awaitDelivery(ctx context.Context) {
	var total int64
	for i := range r.sent {
		total += r.sent[i].Load()
	}
	deadline := time.Now().Add(r.cfg.Drain)
	lastChange, last := time.Now(), int64(-1)
	for {
		done, progress := true, int64(0)
		var shared int64
		for _, t := range r.trackers {
			n := t.distinct.Load()
			progress += t.delivered.Load()
			shared += n
			if r.cfg.Scenario != Queue && n < total {
				done = false
			}
		}
		if r.cfg.Scenario == Queue && shared < total {
			done = false
		}
		if r.cfg.QoS > 0 {
			var acked int64
			for _, p := range r.pubs {
				acked += p.acked()
			}
			progress += acked
			done = done && acked >= total
		}
		alive := false
		for _, s := range r.subs {
			alive = alive || s.failure() == nil
		}
		now := time.Now()
		if progress != last {
			last, lastChange = progress, now
		}
		if done || !alive || now.After(deadline) || now.Sub(lastChange) > r.cfg.Idle || ctx.Err() != nil {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func (r *run) closeAll() {
	for _, p := range r.pubs {
		if err := p.failure(); err != nil {
			r.fail("publisher: %v", err)
		}
		p.close()
	}
	for _, s := range r.subs {
		if err := s.failure(); err != nil && !errors.Is(err, context.Canceled) {
			r.fail("subscriber: %v", err)
		}
		s.close()
	}
	r.pubs, r.subs = nil, nil
}

func (r *run) progressLine() (sent, received, acked int64) {
	for i := range r.sent {
		sent += r.sent[i].Load()
	}
	for _, t := range r.trackers {
		received += t.delivered.Load()
	}
	for _, p := range r.pubs {
		acked += p.acked()
	}
	return sent, received, acked
}

// result fills res once every connection is closed (the trackers are then
// no longer written).
func (r *run) result(res *Result, start, pubEnd int64) {
	cfg := r.cfg
	sent := make([]int64, len(r.sent))
	for i := range r.sent {
		sent[i] = r.sent[i].Load()
		res.Sent += sent[i]
	}
	if cfg.Scenario == Queue {
		res.Counts = sharedCounts(r.trackers, sent)
	} else {
		for _, t := range r.trackers {
			c := t.counts(sent)
			res.Counts.add(c)
			if len(r.trackers) > 1 {
				res.PerSubscriber = append(res.PerSubscriber, c)
			}
		}
	}
	lat := newHistogram()
	end := pubEnd
	for _, t := range r.trackers {
		lat.merge(t.lat)
		if t.first >= 0 {
			end = max(end, t.last)
		}
	}
	res.setLatency(lat)
	el := float64(end-start) / 1e9
	res.DurationSec = round(el, 3)
	if el > 0 {
		res.MsgsPerSec = round(float64(res.Received)/el, 1)
		res.MBPerSec = round(float64(res.Received)*float64(cfg.Size)/el/1e6, 3)
	}
	if pe := float64(pubEnd-start) / 1e9; pe > 0 {
		res.SendMsgsPerSec = round(float64(res.Sent)/pe, 1)
	}
	r.mu.Lock()
	res.Errors = append(res.Errors, r.errs...)
	r.mu.Unlock()
}
