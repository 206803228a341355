package network

import (
	"time"

	"github.com/hashi-broker/hashi/config"
)

// backoff is the reconnect schedule of ActiveMQ's static discovery agent:
// after a failure wait initialReconnectDelay, then multiply by
// backOffMultiplier up to maxReconnectDelay; a connection that stayed up for
// minConnectTime resets it; maxReconnectAttempts > 0 gives up after that many
// failures in a row.
type backoff struct {
	cfg      config.Reconnect
	failures int
	delay    time.Duration
}

func newBackoff(cfg config.Reconnect) *backoff {
	if cfg.InitialDelay <= 0 {
		cfg.InitialDelay = time.Second
	}
	if cfg.MaxDelay <= 0 {
		cfg.MaxDelay = 30 * time.Second
	}
	if cfg.BackOffMultiplier < 1 {
		cfg.BackOffMultiplier = 2
	}
	return &backoff{cfg: cfg}
}

// failed records a failed attempt (or a connection that lasted less than
// minConnectTime) and returns how long to wait, or ok=false when
// maxReconnectAttempts is exhausted.
func (b *backoff) failed() (wait time.Duration, ok bool) {
	b.failures++
	if b.cfg.MaxAttempts > 0 && b.failures > b.cfg.MaxAttempts {
		return 0, false
	}
	switch {
	case b.delay == 0 || !b.cfg.UseExponentialBackOff:
		b.delay = b.cfg.InitialDelay
	default:
		b.delay = time.Duration(float64(b.delay) * b.cfg.BackOffMultiplier)
	}
	b.delay = min(b.delay, b.cfg.MaxDelay)
	return b.delay, true
}

// ended records the end of a connection that was up for upFor; the next
// wait is then the initial delay if it lasted minConnectTime, else the
// schedule continues.
func (b *backoff) ended(upFor time.Duration) (wait time.Duration, ok bool) {
	if upFor >= b.cfg.MinConnectTime {
		b.failures, b.delay = 0, 0
	}
	return b.failed()
}

// probeEvery is how often a backing-off bridge checks, with a bare TCP
// connect, whether the remote answers again: far cheaper than a full
// reconnect, so a healed link is used within about a second however long
// the backoff has grown (ActiveMQ would sit out its doubled delay).
func (b *backoff) probeEvery() time.Duration {
	return min(b.cfg.InitialDelay, time.Second)
}
