package bench

import (
	"fmt"
	"io"
	"sync"
	"time"
)

// progress prints a line to w about once a second until stopped.
type progress struct {
	quit chan struct{}
	wg   sync.WaitGroup
}

// startProgress calls sample every second and prints the totals and rates;
// w == nil prints nothing.
func startProgress(w io.Writer, name string, sample func() (sent, received, acked int64)) *progress {
	p := &progress{quit: make(chan struct{})}
	if w == nil {
		return p
	}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		t := time.NewTicker(time.Second)
		defer t.Stop()
		begin, prev := time.Now(), time.Now()
		var ps, pr int64
		for {
			select {
			case <-p.quit:
				return
			case now := <-t.C:
				s, r, a := sample()
				dt := now.Sub(prev).Seconds()
				fmt.Fprintf(w, "%s %4.0fs  sent %d (%.0f/s)  received %d (%.0f/s)  acked %d\n",
					name, now.Sub(begin).Seconds(), s, float64(s-ps)/dt, r, float64(r-pr)/dt, a)
				ps, pr, prev = s, r, now
			}
		}
	}()
	return p
}

func (p *progress) stop() {
	select {
	case <-p.quit:
	default:
		close(p.quit)
	}
	p.wg.Wait()
}
