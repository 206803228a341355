package admin

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
)

// Revision is one applied configuration.
type Revision struct {
	ID      int       `json:"id"`
	At      time.Time `json:"at"`
	User    string    `json:"user"`
	Comment string    `json:"comment"`
	Changes any       `json:"changes,omitempty"`
}

// revisions keeps every applied activemq.xml under <dataDirectory>/config:
// N.xml and N.json (who, when, why). Revision 1 is the file the broker
// started with.
type revisions struct {
	mu  sync.Mutex
	dir string
	log hclog.Logger
	mem []revEntry // when there is no data directory
}

type revEntry struct {
	Revision
	xml []byte
}

func newRevisions(dataDir string, log hclog.Logger) *revisions {
	r := &revisions{log: log}
	if dataDir != "" {
		r.dir = filepath.Join(dataDir, "config")
	}
	return r
}

// initial records the starting configuration unless it equals the latest
// revision.
func (r *revisions) initial(xml []byte) error {
	list, err := r.list()
	if err != nil {
		return err
	}
	if len(list) > 0 {
		last, err := r.get(list[len(list)-1].ID)
		if err == nil && bytes.Equal(last, xml) {
			return nil
		}
	}
	_, err = r.add(xml, "broker", "configuration at start", nil)
	return err
}

func (r *revisions) add(xml []byte, user, comment string, changes any) (Revision, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	list, err := r.listLocked()
	if err != nil {
		return Revision{}, err
	}
	rev := Revision{ID: 1, At: time.Now().UTC(), User: user, Comment: comment, Changes: changes}
	if len(list) > 0 {
		rev.ID = list[len(list)-1].ID + 1
	}
	if r.dir == "" {
		r.mem = append(r.mem, revEntry{rev, append([]byte(nil), xml...)})
		return rev, nil
	}
	if err := os.MkdirAll(r.dir, 0o750); err != nil {
		return Revision{}, err
	}
	meta, _ := json.MarshalIndent(rev, "", "  ")
	base := filepath.Join(r.dir, strconv.Itoa(rev.ID))
	if err := writeAtomic(base+".xml", xml); err != nil {
		return Revision{}, err
	}
	if err := writeAtomic(base+".json", meta); err != nil {
		return Revision{}, err
	}
	return rev, nil
}

func (r *revisions) list() ([]Revision, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.listLocked()
}

func (r *revisions) listLocked() ([]Revision, error) {
	if r.dir == "" {
		out := make([]Revision, len(r.mem))
		for i, e := range r.mem {
			out[i] = e.Revision
		}
		return out, nil
	}
	ents, err := os.ReadDir(r.dir)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []Revision
	for _, e := range ents {
		name, ok := strings.CutSuffix(e.Name(), ".json")
		if !ok {
			continue
		}
		if _, err := strconv.Atoi(name); err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join(r.dir, e.Name()))
		if err != nil {
			continue
		}
		var rev Revision
		if json.Unmarshal(b, &rev) == nil {
			out = append(out, rev)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

func (r *revisions) get(id int) ([]byte, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.dir == "" {
		for _, e := range r.mem {
			if e.ID == id {
				return e.xml, nil
			}
		}
		return nil, fmt.Errorf("no revision %d", id)
	}
	b, err := os.ReadFile(filepath.Join(r.dir, strconv.Itoa(id)+".xml"))
	if os.IsNotExist(err) {
		return nil, fmt.Errorf("no revision %d", id)
	}
	return b, err
}

// writeAtomic replaces path with data via a temporary file and rename.
func writeAtomic(path string, data []byte) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o640); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
