package xml

import (
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/hashi-broker/hashi/config"
)

// FuzzLoad feeds arbitrary bytes to Load: it must never panic, must return a
// Config unless it reports a malformed document, and every problem in the
// file must carry a real line (so the position pairing never slips).
func FuzzLoad(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/*.xml")
	more, _ := filepath.Glob("testdata/*/*.xml")
	for _, s := range append(seeds, more...) {
		if data, err := os.ReadFile(s); err == nil {
			f.Add(data)
		}
	}
	f.Add(defaultXML)
	f.Add([]byte(`<broker xmlns="http://activemq.apache.org/schema/core" brokerName="${a:${b}}"><plugins><jaasAuthenticationPlugin/></plugins></broker>`))
	f.Add([]byte(`<amq:broker xmlns:amq="http://activemq.apache.org/schema/core"><amq:destinationPolicy><amq:policyMap><amq:defaultEntry><amq:policyEntry tempQueue="true"/></amq:defaultEntry></amq:policyMap></amq:destinationPolicy></amq:broker>`))
	noFiles := func(name string) ([]byte, error) {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		opts := Options{WorkDir: "/nonexistent", LookupEnv: envOf(map[string]string{"X": "${X}"}), ReadFile: noFiles}
		c, ps := Load("f.xml", data, opts)
		if c == nil {
			if len(ps) != 1 || !ps.HasErrors() {
				t.Fatalf("nil config with problems %v", ps)
			}
			return
		}
		for _, p := range ps {
			if p.Pos.File == "f.xml" && p.Pos.Line < 1 {
				t.Fatalf("problem without a line: %s", p)
			}
		}
		config.Describe(io.Discard, c)
	})
}
