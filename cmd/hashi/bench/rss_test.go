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
