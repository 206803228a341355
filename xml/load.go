// Package xml reads an Apache ActiveMQ activemq.xml into Hashi's config
// model. It is the only package that knows XML.
//
// It accepts the three shapes real files have: a Spring <beans> document with
// a nested <broker xmlns="http://activemq.apache.org/schema/core">, the same
// with a prefixed <amq:broker>, and a bare <broker> root (Amazon MQ). Spring
// beans, imports and other foreign elements are skipped with one warning
// each; ${...} placeholders are resolved from the property files of a
// PropertyPlaceholderConfigurer bean, ActiveMQ's built-in properties and the
// environment. Every problem carries its file:line:col, and Load returns all
// of them at once, the model's own Validate problems merged in file order.
package xml

import (
	"cmp"
	_ "embed"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"github.com/beevik/etree"

	"github.com/hashi-broker/hashi/config"
)

// Namespaces that matter.
const (
	coreNS    = "http://activemq.apache.org/schema/core"
	beansNS   = "http://www.springframework.org/schema/beans"
	contextNS = "http://www.springframework.org/schema/context"
	xsiNS     = "http://www.w3.org/2001/XMLSchema-instance"
)

// Options make loading hermetic: the environment, the working directory and
// file reads can all be replaced.
type Options struct {
	// LookupEnv looks up environment variables for ${...}; nil means
	// os.LookupEnv.
	LookupEnv func(string) (string, bool)
	// WorkDir is what relative data paths (and ${activemq.data}) are relative
	// to, and where a relative config name is; "" means the process's
	// working directory.
	WorkDir string
	// ReadFile reads the files a configuration refers to (properties files,
	// login.config); nil means os.ReadFile.
	ReadFile func(string) ([]byte, error)
}

func (o Options) withDefaults() Options {
	if o.LookupEnv == nil {
		o.LookupEnv = os.LookupEnv
	}
	if o.WorkDir == "" {
		if wd, err := os.Getwd(); err == nil {
			o.WorkDir = wd
		} else {
			o.WorkDir = "."
		}
	}
	if o.ReadFile == nil {
		o.ReadFile = os.ReadFile
	}
	return o
}

//go:embed default.xml
var defaultXML []byte

// DefaultXML returns the text of the embedded default configuration.
func DefaultXML() []byte { return append([]byte(nil), defaultXML...) }

// Default returns Hashi's built-in configuration: the embedded default.xml
// (an activemq.xml a user can copy as a starting point), loaded like any
// other file. Its Source is "".
func Default() *config.Config {
	noEnv := func(string) (string, bool) { return "", false }
	cfg, _ := Load("default.xml", defaultXML, Options{LookupEnv: noEnv, WorkDir: "."})
	if cfg == nil { // cannot happen: a test loads default.xml without problems
		cfg = &config.Config{Broker: config.NewBroker()}
	}
	cfg.Source = ""
	return cfg
}

// LoadFile reads and loads the activemq.xml at path; see Load.
func LoadFile(path string, opts Options) (*config.Config, config.Problems) {
	opts = opts.withDefaults()
	full := path
	if !filepath.IsAbs(full) {
		full = filepath.Join(opts.WorkDir, full)
	}
	data, err := opts.ReadFile(full)
	if err != nil {
		return nil, config.Problems{{Pos: config.Pos{File: path}, Severity: config.Error, Msg: err.Error()}}
	}
	return Load(path, data, opts)
}

// Load reads the activemq.xml text data; name is its path (relative to
// opts.WorkDir unless absolute) and is what problem positions show. The
// config file's folder is ${activemq.conf} and the base of the relative
// paths it names. Load returns a nil Config only when the XML is malformed;
// otherwise it returns the Config with every problem found, errors and
// warnings, in file order.
func Load(name string, data []byte, opts Options) (*config.Config, config.Problems) {
	opts = opts.withDefaults()
	data = toUTF8(data)
	pos, err := scanPositions(name, data)
	if err != nil {
		var se *errSyntax
		if errors.As(err, &se) {
			return nil, config.Problems{{Pos: se.pos, Severity: config.Error, Msg: se.msg}}
		}
		return nil, config.Problems{{Pos: config.Pos{File: name}, Severity: config.Error, Msg: err.Error()}}
	}
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(data); err != nil {
		return nil, config.Problems{{Pos: config.Pos{File: name, Line: 1, Col: 1}, Severity: config.Error, Msg: "malformed XML: " + err.Error()}}
	}
	pos.pair(doc)
	full := name
	if !filepath.IsAbs(full) {
		full = filepath.Join(opts.WorkDir, full)
	}
	confDir := filepath.Dir(full)
	l := &loader{
		file:       name,
		confDir:    confDir,
		opts:       opts,
		pos:        pos,
		res:        newResolver(confDir, opts.WorkDir, opts.LookupEnv),
		fileAnchor: map[string]config.Pos{},
	}
	cfg := &config.Config{Source: name, Broker: config.NewBroker()}
	l.run(doc, cfg)
	return cfg, l.problems(cfg)
}

// loader holds the state of one Load.
type loader struct {
	file     string // as given, for positions
	confDir  string // absolute folder of the config file
	opts     Options
	pos      *positions
	res      *resolver
	brokerNS string // namespace of the <broker> element: coreNS or ""

	probs []anchoredProblem
	// anchor is the position in the config file under which problems found
	// in other files (properties, login.config) are sorted.
	anchor     config.Pos
	fileAnchor map[string]config.Pos

	sawVirtualInterceptor bool
	persistenceDirSet     bool
}

type anchoredProblem struct {
	anchor config.Pos
	p      config.Problem
}

func (l *loader) add(sev config.Severity, pos config.Pos, msg string) {
	anchor := pos
	if pos.File != l.file {
		anchor = l.anchor
		if _, ok := l.fileAnchor[pos.File]; !ok {
			l.fileAnchor[pos.File] = l.anchor
		}
	}
	l.probs = append(l.probs, anchoredProblem{anchor, config.Problem{Pos: pos, Severity: sev, Msg: msg}})
}

func (l *loader) errorf(pos config.Pos, format string, args ...any) {
	l.add(config.Error, pos, fmt.Sprintf(format, args...))
}

func (l *loader) warnf(pos config.Pos, format string, args ...any) {
	l.add(config.Warning, pos, fmt.Sprintf(format, args...))
}

// problems merges the loader's problems with the model's Validate problems,
// sorted by position in the config file (stable, so problems at one place
// keep their order).
func (l *loader) problems(cfg *config.Config) config.Problems {
	all := l.probs
	for _, p := range cfg.Validate() {
		anchor := p.Pos
		if p.Pos.File != l.file {
			anchor = l.fileAnchor[p.Pos.File]
		}
		all = append(all, anchoredProblem{anchor, p})
	}
	slices.SortStableFunc(all, func(a, b anchoredProblem) int {
		if c := cmp.Compare(a.anchor.Line, b.anchor.Line); c != 0 {
			return c
		}
		return cmp.Compare(a.anchor.Col, b.anchor.Col)
	})
	out := make(config.Problems, len(all))
	for i, a := range all {
		out[i] = a.p
	}
	return out
}

// run finds the broker and reads it.
func (l *loader) run(doc *etree.Document, cfg *config.Config) {
	var brokers []*etree.Element
	var find func(e *etree.Element)
	find = func(e *etree.Element) {
		for _, c := range e.ChildElements() {
			if c.Tag == "broker" && (c.NamespaceURI() == coreNS || c.NamespaceURI() == "") {
				brokers = append(brokers, c)
				continue
			}
			find(c)
		}
	}
	find(&doc.Element)
	root := doc.Root()
	if len(brokers) == 0 {
		l.warnf(l.pos.elem(root), "no <broker> element (namespace %s) in this file (root is <%s>); nothing to configure, using defaults", coreNS, root.FullTag())
		l.finalize(&cfg.Broker)
		return
	}
	l.placeholderSources(doc)
	for _, extra := range brokers[1:] {
		l.errorf(l.pos.elem(extra), "more than one <broker> element (the first is at %s)", l.pos.elem(brokers[0]).LineCol())
	}
	br := brokers[0]
	l.brokerNS = br.NamespaceURI()
	l.outside(&doc.Element, brokers)
	l.broker(br, &cfg.Broker)
	l.finalize(&cfg.Broker)
}

// outside warns once about each element outside the brokers, descending only
// into elements that contain the broker (e.g. <beans>).
func (l *loader) outside(e *etree.Element, brokers []*etree.Element) {
	for _, c := range e.ChildElements() {
		switch {
		case slices.Contains(brokers, c):
		case contains(c, brokers[0]):
			l.outside(c, brokers)
		case c.NamespaceURI() == l.brokerNS && l.brokerNS != "":
			l.warnf(l.pos.elem(c), "skipping <%s> outside <broker>", c.FullTag())
		default:
			l.foreign(c)
		}
	}
}

func contains(anc, e *etree.Element) bool {
	for p := e.Parent(); p != nil; p = p.Parent() {
		if p == anc {
			return true
		}
	}
	return false
}

// core reports whether e is in the broker's namespace.
func (l *loader) core(e *etree.Element) bool { return e.NamespaceURI() == l.brokerNS }

// foreign warns once about an element from another namespace and skips it
// with everything inside it.
func (l *loader) foreign(e *etree.Element) {
	pos := l.pos.elem(e)
	ns := e.NamespaceURI()
	switch {
	case ns == beansNS && e.Tag == "bean":
		class := e.SelectAttrValue("class", "")
		if isPlaceholderConfigurer(class) {
			l.warnf(pos, "skipping Spring <bean class=%q>: only its property files are used, for ${...} placeholders", class)
			return
		}
		if class == "" {
			class = e.SelectAttrValue("id", "")
		}
		l.warnf(pos, "skipping Spring <bean class=%q>", class)
	case ns == beansNS && e.Tag == "import":
		l.warnf(pos, "skipping Spring <import resource=%q>: imported files are not read", e.SelectAttrValue("resource", ""))
	case ns == beansNS:
		l.warnf(pos, "skipping Spring <%s>", e.FullTag())
	case ns == contextNS && e.Tag == "property-placeholder":
		l.warnf(pos, "skipping Spring <%s>: only its property files are used, for ${...} placeholders", e.FullTag())
	case ns == "":
		l.warnf(pos, "skipping <%s> (no namespace): not part of ActiveMQ's configuration", e.FullTag())
	default:
		l.warnf(pos, "skipping <%s> (namespace %s): not part of ActiveMQ's configuration", e.FullTag(), ns)
	}
}

// children returns e's child elements in the broker's namespace, warning
// about (and dropping) foreign ones.
func (l *loader) children(e *etree.Element) []*etree.Element {
	var out []*etree.Element
	for _, c := range e.ChildElements() {
		if !l.core(c) {
			l.foreign(c)
			continue
		}
		out = append(out, c)
	}
	return out
}

// wrapped unwraps XBean property nesting: <prop><bean .../></prop>. It
// returns the single core child of prop; when prop has no child element but
// has attributes it is read as the bean itself (with a warning). It returns
// nil (after a warning) when prop is empty.
func (l *loader) wrapped(prop *etree.Element) *etree.Element {
	kids := l.children(prop)
	if len(kids) == 0 {
		if len(prop.Attr) > 0 {
			l.warnf(l.pos.elem(prop), "<%s> should wrap its bean (<%s><%s .../></%s>); reading its attributes directly", prop.Tag, prop.Tag, prop.Tag, prop.Tag)
			return prop
		}
		l.warnf(l.pos.elem(prop), "empty <%s> ignored", prop.Tag)
		return nil
	}
	for _, extra := range kids[1:] {
		l.warnf(l.pos.elem(extra), "<%s> holds one bean; extra <%s> ignored", prop.Tag, extra.Tag)
	}
	return kids[0]
}

// text returns e's trimmed text with placeholders resolved.
func (l *loader) text(e *etree.Element, what string) (string, bool) {
	raw := trimSpace(e.Text())
	v, err := l.res.expand(raw)
	if err != nil {
		l.placeholderErr(l.pos.inText(e, placeholderNeedle(err)), l.pos.elem(e), what, err)
		return "", false
	}
	return v, true
}

// path resolves a file reference the way ActiveMQ configs write them:
// "file:" and "file://" prefixes dropped, relative paths taken relative to
// the config file's folder.
func (l *loader) path(v string) string {
	v = trimSpace(v)
	switch {
	case len(v) > 7 && v[:7] == "file://":
		v = v[7:]
	case len(v) > 5 && v[:5] == "file:":
		v = v[5:]
	}
	if !filepath.IsAbs(v) {
		v = filepath.Join(l.confDir, v)
	}
	return filepath.Clean(v)
}

// display is how positions name a file the configuration refers to:
// relative to the working directory when the config file was named
// relatively, so all positions in one report look alike.
func (l *loader) display(path string) string {
	if filepath.IsAbs(l.file) {
		return path
	}
	if rel, err := filepath.Rel(l.opts.WorkDir, path); err == nil {
		return rel
	}
	return path
}

// finalize applies the defaults that depend on other settings.
func (l *loader) finalize(b *config.Broker) {
	p := &b.Persistence
	if !l.persistenceDirSet && p.Adapter != "memoryPersistenceAdapter" {
		p.Directory = filepath.Join(b.DataDirectory, config.DefaultKahaDBSubdir)
	}
	if !l.sawVirtualInterceptor && b.UseVirtualTopics {
		b.VirtualTopics = append(b.VirtualTopics, config.DefaultVirtualTopic())
	}
}

func trimSpace(s string) string {
	i, j := 0, len(s)
	for i < j && isXMLSpace(s[i]) {
		i++
	}
	for j > i && isXMLSpace(s[j-1]) {
		j--
	}
	return s[i:j]
}

func isXMLSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }
