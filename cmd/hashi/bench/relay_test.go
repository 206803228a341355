package bench

import (
	"fmt"
	"testing"

	"github.com/hashi-broker/hashi/broker/mqtt/packet"
)

// TestFaultsCountedExactly runs the generator against the sink through a
// relay that drops, duplicates, corrupts and reorders on purpose, and
// checks that the generator reports exactly what the relay injected.
func TestFaultsCountedExactly(t *testing.T) {
	for _, tc := range []struct {
		sc         Scenario
		pubs, subs int
		qos        byte
		version    byte
	}{
		{FanOut, 1, 3, 0, packet.V311},
		{FanIn, 4, 1, 1, packet.V5},
		{FanIn, 2, 2, 2, packet.V311},
	} {
		t.Run(fmt.Sprintf("%s-qos%d-v%d", tc.sc, tc.qos, tc.version), func(t *testing.T) {
			sink := startSink(t)
			relay, err := NewRelay("127.0.0.1:0", sink.Addr(), Faults{DropEvery: 101, DupEvery: 89, CorruptEvery: 83, SwapEvery: 79})
			if err != nil {
				t.Fatal(err)
			}
			defer relay.Close()
			cfg := quick(tc.sc, relay.Addr())
			cfg.Publishers, cfg.Subscribers, cfg.QoS, cfg.MQTTVersion = tc.pubs, tc.subs, tc.qos, tc.version
			cfg.Messages = 20000 / tc.pubs
			res := mustRun(t, cfg)
			inj := relay.Injected()
			t.Logf("injected %+v; counted %+v", inj, res.Counts)
			if inj.Dropped == 0 || inj.Duplicated == 0 || inj.Corrupted == 0 || inj.Reordered == 0 {
				t.Fatalf("the relay injected too little: %+v", inj)
			}
			want := Counts{
				Expected:   int64(20000 * tc.subs),
				Received:   int64(20000*tc.subs) - inj.Dropped + inj.Duplicated,
				Lost:       inj.Dropped,
				Duplicated: inj.Duplicated,
				Reordered:  inj.Reordered,
				Corrupt:    inj.Corrupted,
			}
			if res.Counts != want || res.Sent != 20000 || len(res.Errors) > 0 {
				t.Errorf("counted %+v (sent %d, errors %v)\nwant    %+v", res.Counts, res.Sent, res.Errors, want)
			}
			var per Counts
			for _, c := range res.PerSubscriber {
				per.add(c)
			}
			if tc.subs > 1 && per != res.Counts {
				t.Errorf("per-subscriber counts %+v do not add up to %+v", per, res.Counts)
			}
		})
	}
}

// TestThroughRelayAndSink: the generator's own path (in-process relay, sink)
// loses nothing and is fast.
func TestThroughRelayAndSink(t *testing.T) {
	sink := startSink(t)
	cfg := quick(FanIn, sink.Addr())
	cfg.Publishers, cfg.Messages, cfg.ThroughRelay, cfg.QoS = 4, 50000, true, 1
	res := mustRun(t, cfg)
	if res.Lost != 0 || res.Received != 200000 || res.Acked != 200000 || res.Duplicated+res.Reordered+res.Corrupt != 0 || !res.RelayThrough {
		t.Fatalf("%+v", res)
	}
	if in, out := sink.Counts(); in < 200000 || out < 200000 {
		t.Errorf("sink saw %d in, %d out", in, out)
	}
	t.Logf("generator through relay and sink: %.0f msgs/s", res.MsgsPerSec)
}

// TestRelayCarriesBytes: without faults the relay copies both ways and
// half-closes.
func TestRelayCarriesBytes(t *testing.T) {
	sink := startSink(t)
	relay, err := NewRelay("127.0.0.1:0", sink.Addr(), Faults{})
	if err != nil {
		t.Fatal(err)
	}
	defer relay.Close()
	cfg := quick(FanOut, relay.Addr())
	cfg.Subscribers, cfg.Messages, cfg.MQTTVersion = 2, 5000, packet.V5
	res := mustRun(t, cfg)
	if res.Lost != 0 || res.Received != 10000 || relay.Injected() != (Injected{}) {
		t.Fatalf("%+v %+v", res.Counts, relay.Injected())
	}
}

func TestFaultOrder(t *testing.T) {
	f := Faults{DropEvery: 2, DupEvery: 3, CorruptEvery: 5, SwapEvery: 7}
	for n, want := range map[int64]fault{1: pass, 2: drop, 3: dup, 6: drop, 5: corrupt, 15: dup, 7: swap, 35: corrupt, 11: pass} {
		if got := f.of(n); got != want {
			t.Errorf("packet %d: %v, want %v", n, got, want)
		}
	}
	if (Faults{}).any() || !(Faults{SwapEvery: 1}).any() {
		t.Error("any")
	}
}
