package admin

import (
	"embed"
	"io/fs"
	"net/http"
)

// The console is a small embedded front end (HTML, CSS and JavaScript with
// no external dependencies, so it works without internet) that talks to the
// JSON API.
//
//go:embed console
var consoleFS embed.FS

func (s *Server) console(mux *http.ServeMux) {
	sub, _ := fs.Sub(consoleFS, "console")
	files := http.FileServer(http.FS(sub))
	mux.Handle("GET /admin/", http.StripPrefix("/admin/", noCache(files)))
	mux.HandleFunc("GET /admin", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/admin/", http.StatusFound)
	})
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/admin/", http.StatusFound)
	})
}

func noCache(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-cache")
		w.Header().Set("X-Frame-Options", "DENY")
		w.Header().Set("Content-Security-Policy", "default-src 'self'; connect-src 'self' ws: wss:; style-src 'self' 'unsafe-inline'; img-src 'self' data:")
		h.ServeHTTP(w, r)
	})
}
