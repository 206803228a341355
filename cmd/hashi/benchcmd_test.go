package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// --cpuprofile writes the generator's profile even when the run fails, so
// a failing run can be looked into too.
func TestBenchWritesCPUProfile(t *testing.T) {
	prof := filepath.Join(t.TempDir(), "gen.prof")
	var stderr bytes.Buffer
	// Port 1 on loopback refuses the connection at once.
	code := cmdBench([]string{"fanin", "--url", "mqtt://127.0.0.1:1", "--duration", "100ms", "--cpuprofile", prof}, &bytes.Buffer{}, &stderr)
	if code != 1 || !strings.Contains(stderr.String(), "127.0.0.1:1") {
		t.Fatalf("exit %d, stderr %q: want a failed connection", code, stderr.String())
	}
	b, err := os.ReadFile(prof)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) < 2 || b[0] != 0x1f || b[1] != 0x8b { // pprof profiles are gzipped protobuf
		t.Errorf("profile is %d bytes, not gzip", len(b))
	}
}
