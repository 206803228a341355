package admin

import (
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"path/filepath"
	"strconv"
	"sync"

	"github.com/hashi-broker/hashi/config"
	"github.com/hashi-broker/hashi/xml"
)

// textState is the running configuration's text.
type textState struct {
	mu   sync.Mutex
	text []byte
}

func (t *textState) set(b []byte) {
	t.mu.Lock()
	t.text = append([]byte(nil), b...)
	t.mu.Unlock()
}

func (t *textState) get() []byte {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.text
}

// problemJSON is one problem as the console shows it.
type problemJSON struct {
	Line     int    `json:"line"`
	Col      int    `json:"col"`
	Severity string `json:"severity"`
	Message  string `json:"message"`
	Text     string `json:"text"` // FILE:LINE:COL: message, as `hashi check` prints it
}

func problemsJSON(ps config.Problems) []problemJSON {
	out := make([]problemJSON, 0, len(ps))
	for _, p := range ps {
		sev := "error"
		if p.Severity == config.Warning {
			sev = "warning"
		}
		out = append(out, problemJSON{p.Pos.Line, p.Pos.Col, sev, p.Msg, p.String()})
	}
	return out
}

// configName is the name problems are reported against: the running file,
// so relative paths in the new text resolve as they would on disk.
func (s *Server) configName() string {
	if s.be.ConfigPath != "" {
		return s.be.ConfigPath
	}
	return "activemq.xml"
}

// readXML reads a request body: raw XML, or JSON {"xml": "...", "comment": "..."}.
func readXML(r *http.Request) (text []byte, comment string, err error) {
	body, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, 8<<20))
	if err != nil {
		return nil, "", err
	}
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt == "application/json" {
		var req struct {
			XML     string `json:"xml"`
			Comment string `json:"comment"`
		}
		if err := json.Unmarshal(body, &req); err != nil {
			return nil, "", err
		}
		return []byte(req.XML), req.Comment, nil
	}
	return body, r.URL.Query().Get("comment"), nil
}

func (s *Server) load(text []byte) (*config.Config, config.Problems) {
	opts := xml.Options{}
	if s.be.ConfigPath != "" {
		opts.WorkDir = filepath.Dir(s.be.ConfigPath)
	}
	return xml.Load(s.configName(), text, opts)
}

func (s *Server) configGet(w http.ResponseWriter, _ *http.Request, _ *who) {
	revs, _ := s.revs.list()
	cur := 0
	if len(revs) > 0 {
		cur = revs[len(revs)-1].ID
	}
	writeJSON(w, http.StatusOK, map[string]any{"file": s.be.ConfigPath, "xml": string(s.texts.get()), "revision": cur})
}

func (s *Server) configValidate(w http.ResponseWriter, r *http.Request, _ *who) {
	text, _, err := readXML(r)
	if err != nil {
		fail(w, http.StatusBadRequest, err.Error())
		return
	}
	cfg, ps := s.load(text)
	writeJSON(w, http.StatusOK, map[string]any{"valid": cfg != nil && !ps.HasErrors(), "problems": problemsJSON(ps)})
}

func (s *Server) configDiff(w http.ResponseWriter, r *http.Request, _ *who) {
	text, _, err := readXML(r)
	if err != nil {
		fail(w, http.StatusBadRequest, err.Error())
		return
	}
	d := unifiedDiff("running", "new", string(s.texts.get()), string(text))
	writeJSON(w, http.StatusOK, map[string]any{"diff": d, "changed": d != ""})
}

func (s *Server) configApply(w http.ResponseWriter, r *http.Request, caller *who) {
	text, comment, err := readXML(r)
	if err != nil {
		fail(w, http.StatusBadRequest, err.Error())
		return
	}
	s.apply(w, text, caller.user, comment)
}

// apply validates and applies text; on success it records a revision and
// writes the running file.
func (s *Server) apply(w http.ResponseWriter, text []byte, user, comment string) {
	cfg, ps := s.load(text)
	if cfg == nil || ps.HasErrors() {
		writeJSON(w, http.StatusUnprocessableEntity, map[string]any{
			"error": "the configuration has errors; nothing was changed", "problems": problemsJSON(ps)})
		return
	}
	if s.be.ConfigPath != "" {
		cfg.Source = s.be.ConfigPath
	}
	changes, err := s.be.Apply(cfg)
	if err != nil {
		s.log.Warn("configuration not applied", "user", user, "error", err)
		writeJSON(w, http.StatusConflict, map[string]any{"error": "cannot apply, the running configuration is unchanged: " + err.Error()})
		return
	}
	rev, err := s.revs.add(text, user, comment, changes)
	if err != nil {
		s.log.Warn("applied, but could not record the revision", "error", err)
	}
	s.texts.set(text)
	if s.be.ConfigPath != "" {
		if err := writeAtomic(s.be.ConfigPath, text); err != nil {
			s.log.Warn("applied, but could not write the configuration file", "file", s.be.ConfigPath, "error", err)
		}
	}
	s.log.Info("configuration applied from the admin API", "user", user, "revision", rev.ID, "comment", comment)
	writeJSON(w, http.StatusOK, map[string]any{"revision": rev.ID, "changes": changes, "problems": problemsJSON(ps)})
}

func (s *Server) revisionList(w http.ResponseWriter, _ *http.Request, _ *who) {
	revs, err := s.revs.list()
	if err != nil {
		fail(w, http.StatusInternalServerError, err.Error())
		return
	}
	if revs == nil {
		revs = []Revision{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"revisions": revs})
}

// revision reads the revision named in the path; it answers the error itself
// and reports false when there is none.
func (s *Server) revision(w http.ResponseWriter, r *http.Request) (int, []byte, bool) {
	id, err := strconv.Atoi(r.PathValue("id"))
	if err != nil {
		fail(w, http.StatusBadRequest, "revision id must be a number")
		return 0, nil, false
	}
	text, err := s.revs.get(id)
	if err != nil {
		fail(w, http.StatusNotFound, err.Error())
		return 0, nil, false
	}
	return id, text, true
}

func (s *Server) revisionGet(w http.ResponseWriter, r *http.Request, _ *who) {
	if id, text, ok := s.revision(w, r); ok {
		writeJSON(w, http.StatusOK, map[string]any{"id": id, "xml": string(text)})
	}
}

func (s *Server) configRollback(w http.ResponseWriter, r *http.Request, caller *who) {
	if id, text, ok := s.revision(w, r); ok {
		s.apply(w, text, caller.user, "rollback to revision "+strconv.Itoa(id))
	}
}
