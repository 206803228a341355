package config

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("Describe output differs from %s (go test -update rewrites it):\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

func TestDescribeGolden(t *testing.T) {
	var buf bytes.Buffer
	Describe(&buf, sample())
	out := buf.String()
	for _, secret := range []string{"admin-secret", "$2a$10$", "secret", "pw"} {
		if strings.Contains(out, secret) {
			t.Errorf("Describe printed the secret %q", secret)
		}
	}
	golden(t, "describe.golden", buf.Bytes())
}

func TestDescribeEmpty(t *testing.T) {
	var buf bytes.Buffer
	Describe(&buf, &Config{Broker: NewBroker()})
	for _, want := range []string{"(built-in default)", "none: the broker accepts no client connections",
		"none: every client is accepted without credentials", "memory                 1 gb"} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("missing %q in:\n%s", want, buf.String())
		}
	}
}
