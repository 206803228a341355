package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"testing"
	"time"
)

// scripts/regions.sh: Tokyo, Singapore and Frankfurt in network namespaces,
// a full duplex mesh over TLS with WAN delays, the Tokyo–Singapore link cut
// for 10 s mid-traffic. QoS 1 must cross the cut without loss or duplicates.
func TestRegions(t *testing.T) {
	if os.Geteuid() != 0 {
		if os.Getenv("HASHI_REQUIRE_DEPS") != "" {
			t.Fatal("needs root for network namespaces (CI runs as root)")
		}
		t.Skip("needs root for network namespaces (CI runs as root)")
	}
	for _, c := range []string{"ip", "tc", "mosquitto_pub", "mosquitto_sub", "openssl"} {
		needCmd(t, c)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "../scripts/regions.sh")
	cmd.Env = append(os.Environ(), "HASHI_BIN="+hashiBin, fmt.Sprintf("NS_PREFIX=hashi%d-", os.Getpid()))
	start := time.Now()
	out, err := cmd.CombinedOutput()
	t.Logf("scripts/regions.sh (%v):\n%s", time.Since(start).Round(time.Second), out)
	if err != nil {
		t.Fatalf("regions.sh: %v", err)
	}
	m := regexp.MustCompile(`RESULT lost=(\d+) duplicated=(\d+)`).FindSubmatch(out)
	if m == nil {
		t.Fatal("no RESULT line")
	}
	if string(m[1]) != "0" || string(m[2]) != "0" {
		t.Fatalf("QoS 1 across the cut: lost=%s duplicated=%s, want 0 and 0", m[1], m[2])
	}
	if !regexp.MustCompile(`(?m)^tokyo->singapore\s+\d+\s+\d+\s+0\s+0\s`).Match(out) {
		t.Fatal("no tokyo->singapore row in the report")
	}
}
