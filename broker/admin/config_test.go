package admin_test

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

type configJSON struct {
	File     string `json:"file"`
	XML      string `json:"xml"`
	Revision int    `json:"revision"`
}

type problem struct {
	Line     int    `json:"line"`
	Col      int    `json:"col"`
	Severity string `json:"severity"`
	Message  string `json:"message"`
	Text     string `json:"text"`
}

type revisionJSON struct {
	ID      int            `json:"id"`
	At      time.Time      `json:"at"`
	User    string         `json:"user"`
	Comment string         `json:"comment"`
	Changes map[string]any `json:"changes"`
}

func running(t *testing.T, c *client) configJSON {
	t.Helper()
	var cfg configJSON
	c.mustJSON(http.StatusOK, "GET", "/api/v1/config", nil, &cfg)
	return cfg
}

func revisions(t *testing.T, c *client) []revisionJSON {
	t.Helper()
	var out struct{ Revisions []revisionJSON }
	c.mustJSON(http.StatusOK, "GET", "/api/v1/config/revisions", nil, &out)
	return out.Revisions
}

func TestConfigGet(t *testing.T) {
	e := startDefault(t)
	c := e.admin()
	cfg := running(t, c)
	disk, _ := os.ReadFile(e.file)
	if cfg.File != e.file || cfg.XML != string(disk) || cfg.Revision != 1 {
		t.Fatalf("config = file %q revision %d (xml equal to the file: %v)", cfg.File, cfg.Revision, cfg.XML == string(disk))
	}
	revs := revisions(t, c)
	if len(revs) != 1 || revs[0].ID != 1 || revs[0].User != "broker" || revs[0].Comment != "configuration at start" {
		t.Fatalf("revisions = %+v", revs)
	}
	var rev struct {
		ID  int    `json:"id"`
		XML string `json:"xml"`
	}
	c.mustJSON(http.StatusOK, "GET", "/api/v1/config/revisions/1", nil, &rev)
	if rev.ID != 1 || rev.XML != cfg.XML {
		t.Fatalf("revision 1 = %+v", rev)
	}
}

func TestConfigValidate(t *testing.T) {
	e := startDefault(t)
	c := e.admin()
	cfg := running(t, c)
	type result struct {
		Valid    bool      `json:"valid"`
		Problems []problem `json:"problems"`
	}
	var r result
	c.mustJSON(http.StatusOK, "POST", "/api/v1/config/validate", cfg.XML, &r)
	if !r.Valid || len(r.Problems) != 0 {
		t.Fatalf("the running configuration: %+v", r)
	}
	// The same as JSON.
	for _, ct := range []string{"application/json", "application/json; charset=utf-8"} {
		r = result{}
		c.mustJSON(http.StatusOK, "POST", "/api/v1/config/validate", map[string]string{"xml": cfg.XML}, &r, "Content-Type: "+ct)
		if !r.Valid {
			t.Fatalf("as %s: %+v", ct, r)
		}
	}

	// Every problem at once, with line and column, as `hashi check` prints.
	broken := strings.Replace(cfg.XML, `<transportConnector name="mqtt" uri="mqtt://127.0.0.1:0"/>`,
		`<transportConnector name="mqtt" uri="bogus://127.0.0.1:0"/>
    <transportConnector name="extra" uri="mqtt://127.0.0.1:0" colour="blue"/>`, 1)
	c.mustJSON(http.StatusOK, "POST", "/api/v1/config/validate", broken, &r)
	if r.Valid || len(r.Problems) != 2 {
		t.Fatalf("broken: %+v", r)
	}
	line := 1 + strings.Count(broken[:strings.Index(broken, "bogus://")], "\n")
	p := r.Problems[0]
	if p.Line != line || p.Col <= 1 || p.Severity != "error" || !strings.Contains(p.Message, "bogus") ||
		p.Text != fmt.Sprintf("%s:%d:%d: %s", e.file, p.Line, p.Col, p.Message) {
		t.Errorf("error = %+v, want line %d", p, line)
	}
	w := r.Problems[1]
	if w.Line != line+1 || w.Severity != "warning" || !strings.Contains(w.Message, "colour") || !strings.Contains(w.Text, ": warning: ") {
		t.Errorf("warning = %+v", w)
	}

	// Malformed XML.
	bad := "<broker xmlns=\"http://activemq.apache.org/schema/core\">\n  <transportConnectors>\n</broker>\n"
	c.mustJSON(http.StatusOK, "POST", "/api/v1/config/validate", bad, &r)
	if r.Valid || len(r.Problems) == 0 || r.Problems[0].Line != 3 || r.Problems[0].Col != 1 {
		t.Fatalf("malformed: %+v", r)
	}
	c.mustJSON(http.StatusOK, "POST", "/api/v1/config/validate", "", &r)
	if r.Valid || len(r.Problems) == 0 {
		t.Fatalf("empty: %+v", r)
	}
}

func TestConfigDiff(t *testing.T) {
	e := startDefault(t)
	c := e.admin()
	cfg := running(t, c)
	type diff struct {
		Changed bool   `json:"changed"`
		Diff    string `json:"diff"`
	}
	var d diff
	c.mustJSON(http.StatusOK, "POST", "/api/v1/config/diff", cfg.XML, &d)
	if d.Changed || d.Diff != "" {
		t.Fatalf("unchanged: %+v", d)
	}
	next := strings.Replace(cfg.XML, `brokerName="admintest"`, `brokerName="admintest" useJmx="false"`, 1)
	c.mustJSON(http.StatusOK, "POST", "/api/v1/config/diff", map[string]string{"xml": next}, &d)
	if !d.Changed || !strings.HasPrefix(d.Diff, "--- running\n+++ new\n@@ -1,") ||
		!strings.Contains(d.Diff, "\n-<broker ") || !strings.Contains(d.Diff, "\n+<broker ") || !strings.Contains(d.Diff, `useJmx="false"`) {
		t.Fatalf("diff:\n%s", d.Diff)
	}
}

type applied struct {
	Revision int            `json:"revision"`
	Changes  map[string]any `json:"changes"`
	Error    string         `json:"error"`
	Problems []problem      `json:"problems"`
}

func TestConfigApplyAndRollback(t *testing.T) {
	e := startDefault(t)
	c := e.admin()
	start := running(t, c)
	next := strings.Replace(start.XML, `<transportConnector name="tcp"`,
		`<transportConnector name="mqtt2" uri="mqtt://127.0.0.1:0"/>
    <transportConnector name="tcp"`, 1)
	var a applied
	c.mustJSON(http.StatusOK, "POST", "/api/v1/config/apply", map[string]string{"xml": next, "comment": "second MQTT listener"}, &a)
	if a.Revision != 2 || fmt.Sprint(a.Changes["transportConnectorsAdded"]) != "[mqtt2]" {
		t.Fatalf("apply answered %+v", a)
	}
	if e.srv.Addr("mqtt2") == nil {
		t.Fatal("the added connector is not listening")
	}
	if cfg := running(t, c); cfg.XML != next || cfg.Revision != 2 {
		t.Fatalf("running after apply: revision %d", cfg.Revision)
	}
	if disk, _ := os.ReadFile(e.file); string(disk) != next {
		t.Fatal("the file was not rewritten")
	}
	revs := revisions(t, c)
	if len(revs) != 2 || revs[1].ID != 2 || revs[1].User != adminUser || revs[1].Comment != "second MQTT listener" ||
		time.Since(revs[1].At) > time.Minute || revs[1].Changes == nil {
		t.Fatalf("revisions = %+v", revs)
	}
	// Revisions live under the data directory.
	if _, err := os.Stat(filepath.Join(e.dir, "data", "config", "2.xml")); err != nil {
		t.Errorf("revision file: %v", err)
	}

	// Raw XML with the comment in the query string works too (hashi apply).
	a = applied{}
	c.mustJSON(http.StatusOK, "POST", "/api/v1/config/apply?comment=again", next, &a)
	if a.Revision != 3 || a.Changes["transportConnectorsAdded"] != nil {
		t.Fatalf("re-apply answered %+v", a)
	}

	a = applied{}
	c.mustJSON(http.StatusOK, "POST", "/api/v1/config/revisions/1/rollback", nil, &a)
	if a.Revision != 4 || fmt.Sprint(a.Changes["transportConnectorsRemoved"]) != "[mqtt2]" {
		t.Fatalf("rollback answered %+v", a)
	}
	if e.srv.Addr("mqtt2") != nil {
		t.Fatal("the removed connector still listens")
	}
	if cfg := running(t, c); cfg.XML != start.XML || cfg.Revision != 4 {
		t.Fatalf("running after rollback: revision %d", cfg.Revision)
	}
	revs = revisions(t, c)
	if len(revs) != 4 || revs[2].Comment != "again" || revs[3].Comment != "rollback to revision 1" || revs[3].User != adminUser {
		t.Fatalf("revisions after rollback = %+v", revs)
	}
}

func TestConfigApplyInvalidChangesNothing(t *testing.T) {
	e := startDefault(t)
	c := e.admin()
	start := running(t, c)
	broken := strings.Replace(start.XML, `uri="mqtt://127.0.0.1:0"`, `uri="mqtt://127.0.0.1:0?transport.bogusOption=1" name2="x"`, 1)
	broken = strings.Replace(broken, `<transportConnector name="tcp" uri="tcp://127.0.0.1:0"/>`, `<transportConnector name="tcp" uri="nope://127.0.0.1:0"/>`, 1)
	var a applied
	c.mustJSON(http.StatusUnprocessableEntity, "POST", "/api/v1/config/apply", map[string]string{"xml": broken, "comment": "broken"}, &a)
	if a.Error == "" || len(a.Problems) == 0 {
		t.Fatalf("422 answer: %+v", a)
	}
	for _, p := range a.Problems {
		if p.Line == 0 || p.Col == 0 || p.Text == "" {
			t.Errorf("problem without a position: %+v", p)
		}
	}
	c.mustJSON(http.StatusUnprocessableEntity, "POST", "/api/v1/config/apply", "<broker", nil)

	// A valid configuration that cannot be applied: a port in use.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	busy := strings.Replace(start.XML, `<transportConnector name="tcp"`,
		`<transportConnector name="busy" uri="mqtt://`+ln.Addr().String()+`"/>
    <transportConnector name="tcp"`, 1)
	a = applied{}
	c.mustJSON(http.StatusConflict, "POST", "/api/v1/config/apply", map[string]string{"xml": busy}, &a)
	if !strings.Contains(a.Error, "unchanged") {
		t.Errorf("409 answer: %+v", a)
	}

	if cfg := running(t, c); cfg.XML != start.XML || cfg.Revision != 1 {
		t.Fatalf("running changed: revision %d", cfg.Revision)
	}
	if revs := revisions(t, c); len(revs) != 1 {
		t.Fatalf("revisions = %+v", revs)
	}
	if disk, _ := os.ReadFile(e.file); string(disk) != start.XML {
		t.Fatal("the file changed")
	}
	if e.srv.Addr("busy") != nil || e.srv.Addr("tcp") == nil || e.srv.Addr("mqtt") == nil {
		t.Fatal("the listeners changed")
	}
}
