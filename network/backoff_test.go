package network

import (
	"testing"
	"time"

	"github.com/hashi-broker/hashi/config"
)

// [AMQ §5.9] SimpleDiscoveryAgent: 1 s, then doubling, capped at 30 s.
func TestNetworkBackoffSchedule(t *testing.T) {
	b := newBackoff(config.DefaultReconnect())
	want := []time.Duration{1, 2, 4, 8, 16, 30, 30, 30}
	for i, w := range want {
		got, ok := b.failed()
		if !ok || got != w*time.Second {
			t.Fatalf("failure %d: wait %v ok=%v, want %v", i+1, got, ok, w*time.Second)
		}
	}
}

func TestNetworkBackoffZeroConfigGetsDefaults(t *testing.T) {
	b := newBackoff(config.Reconnect{UseExponentialBackOff: true})
	for i, w := range []time.Duration{1, 2, 4} {
		if got, _ := b.failed(); got != w*time.Second {
			t.Fatalf("failure %d: wait %v, want %v", i+1, got, w*time.Second)
		}
	}
	if b.probeEvery() != time.Second {
		t.Fatalf("probeEvery = %v, want 1s", b.probeEvery())
	}
}

func TestNetworkBackoffWithoutExponential(t *testing.T) {
	cfg := config.DefaultReconnect()
	cfg.UseExponentialBackOff = false
	cfg.InitialDelay = 250 * time.Millisecond
	b := newBackoff(cfg)
	for i := 0; i < 5; i++ {
		if got, _ := b.failed(); got != 250*time.Millisecond {
			t.Fatalf("failure %d: wait %v, want the initial delay every time", i+1, got)
		}
	}
	if b.probeEvery() != 250*time.Millisecond {
		t.Fatalf("probeEvery = %v, want the initial delay when it is below 1s", b.probeEvery())
	}
}

func TestNetworkBackoffCustomMultiplierAndCap(t *testing.T) {
	cfg := config.DefaultReconnect()
	cfg.InitialDelay, cfg.MaxDelay, cfg.BackOffMultiplier = 100*time.Millisecond, time.Second, 3
	b := newBackoff(cfg)
	for i, w := range []time.Duration{100, 300, 900, 1000, 1000} {
		if got, _ := b.failed(); got != w*time.Millisecond {
			t.Fatalf("failure %d: wait %v, want %v", i+1, got, w*time.Millisecond)
		}
	}
}

// A link that stayed up for minConnectTime resets the schedule; a shorter one
// continues it (a flapping peer backs off).
func TestNetworkBackoffMinConnectTime(t *testing.T) {
	b := newBackoff(config.DefaultReconnect())
	b.failed()
	b.failed()
	b.failed() // 4 s
	if got, _ := b.ended(2 * time.Second); got != 8*time.Second {
		t.Fatalf("short-lived link: wait %v, want the schedule to continue at 8s", got)
	}
	if got, _ := b.ended(6 * time.Second); got != time.Second {
		t.Fatalf("link up for 6s (> minConnectTime 5s): wait %v, want 1s", got)
	}
	if got, _ := b.failed(); got != 2*time.Second {
		t.Fatalf("after a reset the schedule starts again: wait %v, want 2s", got)
	}
}

func TestNetworkBackoffMaxReconnectAttempts(t *testing.T) {
	cfg := config.DefaultReconnect()
	cfg.MaxAttempts = 3
	b := newBackoff(cfg)
	for i := 0; i < 3; i++ {
		if _, ok := b.failed(); !ok {
			t.Fatalf("attempt %d refused, want 3 allowed", i+1)
		}
	}
	if _, ok := b.failed(); ok {
		t.Fatal("fourth failure allowed with maxReconnectAttempts=3")
	}
	// A long-lived link resets the count.
	b = newBackoff(cfg)
	b.failed()
	b.failed()
	b.failed()
	if _, ok := b.ended(time.Minute); !ok {
		t.Fatal("a link that lasted past minConnectTime must reset the attempt count")
	}
	if _, ok := b.failed(); !ok {
		t.Fatal("second failure after a reset refused")
	}
}
