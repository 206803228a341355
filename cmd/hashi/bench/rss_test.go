package bench

import (
	"strings"
	"testing"
)

func TestParseVmRSS(t *testing.T) {
	status := "Name:\tmosquitto\nVmPeak:\t   20000 kB\nVmRSS:\t    7312 kB\nRssAnon:\t 2000 kB\n"
	if v, err := parseVmRSS(strings.NewReader(status)); err != nil || v != 7312 {
		t.Fatalf("%d, %v", v, err)
	}
	if _, err := parseVmRSS(strings.NewReader("Name:\tkthreadd\n")); err == nil {
		t.Fatal("no VmRSS line accepted")
	}
	if v, err := readRSS(0); v != 0 || err != nil {
		t.Fatalf("pid 0: %d %v", v, err)
	}
}

// The broker's CPU time is utime + stime, counted after the command name,
// which may hold spaces and parentheses.
func TestParseStatCPU(t *testing.T) {
	stat := "4242 (java (Main) x) S 1 4242 4242 0 -1 4194560 9 0 0 0 731 204 0 0 20 0 45 0 1234 0 0\n"
	if v, err := parseStatCPU(stat); err != nil || v != 935 {
		t.Fatalf("%d, %v; want 731+204", v, err)
	}
	for _, bad := range []string{"", "4242 (x", "4242 (x) S 1 2", "4242 (x) S 1 4242 4242 0 -1 4194560 9 0 0 0 7a1 204"} {
		if _, err := parseStatCPU(bad); err == nil {
			t.Errorf("%q: accepted", bad)
		}
	}
	if _, ok := readCPU(0); ok {
		t.Error("pid 0: read")
	}
}
