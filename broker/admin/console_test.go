package admin_test

import (
	"net/http"
	"regexp"
	"strings"
	"testing"
)

// TestConsoleFiles checks the embedded console: served at /admin/ under
// the Content-Security-Policy, every file index.html loads is there, and
// nothing needs the internet or an inline script.
func TestConsoleFiles(t *testing.T) {
	e := startDefault(t)
	anon := e.anonymous()
	anon.hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	for _, p := range []string{"/", "/admin"} {
		r := anon.do("GET", p, nil)
		if r.status != http.StatusFound || r.header.Get("Location") != "/admin/" {
			t.Errorf("GET %s: %d to %q, want a redirect to /admin/", p, r.status, r.header.Get("Location"))
		}
	}

	// The console's files are open: the page logs in through the API.
	index := anon.do("GET", "/admin/", nil)
	if index.status != http.StatusOK || !strings.HasPrefix(index.header.Get("Content-Type"), "text/html") {
		t.Fatalf("GET /admin/: %d %s", index.status, index.header.Get("Content-Type"))
	}
	csp := index.header.Get("Content-Security-Policy")
	if csp != "default-src 'self'; connect-src 'self' ws: wss:; style-src 'self' 'unsafe-inline'; img-src 'self' data:" {
		t.Errorf("Content-Security-Policy %q", csp)
	}
	if index.header.Get("X-Frame-Options") != "DENY" {
		t.Errorf("X-Frame-Options %q", index.header.Get("X-Frame-Options"))
	}
	html := string(index.body)
	if regexp.MustCompile(`<script(?:\s[^>]*)?>\s*[^<\s]`).MatchString(html) || regexp.MustCompile(`\son[a-z]+=`).MatchString(html) {
		t.Error("index.html has an inline script or event handler, which the CSP blocks")
	}
	refs := regexp.MustCompile(`(?:src|href)="([^"#]+)"`).FindAllStringSubmatch(html, -1)
	var scripts int
	for _, m := range refs {
		ref := m[1]
		if strings.HasPrefix(ref, "data:") {
			continue
		}
		if strings.Contains(ref, "//") {
			t.Errorf("index.html loads %s from elsewhere", ref)
			continue
		}
		r := anon.do("GET", "/admin/"+ref, nil)
		if r.status != http.StatusOK {
			t.Errorf("GET /admin/%s: %d", ref, r.status)
			continue
		}
		ct := r.header.Get("Content-Type")
		switch {
		case strings.HasSuffix(ref, ".js"):
			scripts++
			if !strings.HasPrefix(ct, "text/javascript") {
				t.Errorf("%s served as %s", ref, ct)
			}
			// No code from a CDN, no eval (the CSP forbids it). The SVG
			// namespace is a name, not a download.
			body := strings.ReplaceAll(string(r.body), "http://www.w3.org/2000/svg", "")
			if regexp.MustCompile(`https?://[a-z]`).MatchString(body) || strings.Contains(body, "eval(") {
				t.Errorf("%s refers to a remote URL or uses eval", ref)
			}
		case strings.HasSuffix(ref, ".css"):
			if !strings.HasPrefix(ct, "text/css") || strings.Contains(string(r.body), "@import") {
				t.Errorf("%s served as %s or imports", ref, ct)
			}
		}
	}
	if scripts < 5 {
		t.Errorf("index.html loads %d scripts", scripts)
	}
	if r := anon.do("GET", "/admin/missing.js", nil); r.status != http.StatusNotFound {
		t.Errorf("GET a missing file: %d", r.status)
	}
}
