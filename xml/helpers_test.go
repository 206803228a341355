package xml

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashi-broker/hashi/config"
)

// testEnv is a fixed environment for hermetic loads.
var testEnv = map[string]string{
	"TLS_PASSWORD":    "tls-secret",
	"BRIDGE_PASSWORD": "bridge-secret",
	"ACTIVEMQ_DATA":   "/srv/activemq-data",
}

func envOf(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func wd(t testing.TB) string {
	t.Helper()
	d, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// load reads a file under the test's working directory with testEnv.
func load(t testing.TB, name string) (*config.Config, config.Problems) {
	t.Helper()
	return LoadFile(name, Options{WorkDir: wd(t), LookupEnv: envOf(testEnv)})
}

// loadClean loads a file that must have no errors.
func loadClean(t testing.TB, name string) (*config.Config, config.Problems) {
	t.Helper()
	c, ps := load(t, name)
	if c == nil || ps.HasErrors() {
		t.Fatalf("%s: unexpected errors:\n%s", name, dump(ps))
	}
	return c, ps
}

func dump(ps config.Problems) string {
	var s []string
	for _, p := range ps {
		s = append(s, p.String())
	}
	return strings.Join(s, "\n")
}

func count(ps config.Problems, sev config.Severity) int {
	n := 0
	for _, p := range ps {
		if p.Severity == sev {
			n++
		}
	}
	return n
}

// hasProblem reports whether one problem's text contains want.
func hasProblem(ps config.Problems, want string) bool {
	for _, p := range ps {
		if strings.Contains(p.String(), want) {
			return true
		}
	}
	return false
}

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
		t.Errorf("output differs from %s (go test -update rewrites it):\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}
