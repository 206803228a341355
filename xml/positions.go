package xml

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/beevik/etree"

	"github.com/hashi-broker/hashi/config"
)

// maxDepth matches etree's default limit, so both passes accept the same
// documents.
const maxDepth = 1024

// etree records no positions. positions re-reads the same bytes with
// encoding/xml, notes where every start tag and its attributes begin, and
// pairs the i-th start tag with the i-th element of the etree document in
// document order (both are read by the same tokenizer, so the orders agree).
type positions struct {
	file  string
	data  []byte
	lines []int // byte offset of each line start
	tags  []tagPos
	byEl  map[*etree.Element]*tagPos
}

// tagPos is one start tag.
type tagPos struct {
	local string // local name, to check the pairing
	start int    // offset of '<'
	end   int    // offset just after '>'
	attrs []attrPos
}

// attrPos is one attribute as written in a start tag.
type attrPos struct {
	name   string // qualified name as written, e.g. "xmlns:amq", "brokerName"
	nameAt int    // offset of the name
	valAt  int    // offset of the first character of the raw value
	raw    string // the raw value between the quotes (entities not expanded)
}

// errSyntax is a malformed document, with the position of the error.
type errSyntax struct {
	pos config.Pos
	msg string
}

func (e *errSyntax) Error() string { return e.pos.String() + ": " + e.msg }

// latin1Decl matches an XML declaration naming ISO-8859-1.
var latin1Decl = regexp.MustCompile(`(?i)^(\xef\xbb\xbf)?<\?xml[^>]*encoding\s*=\s*["'](iso-?8859-1|latin-?1|l1)["']`)

// toUTF8 converts a document that declares ISO-8859-1 and is not valid
// UTF-8 (Java reads such files; Go's decoder does not). Every other document
// is returned as it is.
func toUTF8(data []byte) []byte {
	if utf8.Valid(data) || !latin1Decl.Match(data) {
		return data
	}
	out := make([]rune, len(data))
	for i, b := range data {
		out[i] = rune(b)
	}
	return []byte(string(out))
}

// scanPositions tokenizes data and records every start tag. A malformed
// document returns an *errSyntax at the error's position.
func scanPositions(file string, data []byte) (*positions, error) {
	p := &positions{file: file, data: data, lines: []int{0}}
	for i, c := range data {
		if c == '\n' {
			p.lines = append(p.lines, i+1)
		}
	}
	if !utf8.Valid(data) {
		off := 0
		for off < len(data) {
			r, n := utf8.DecodeRune(data[off:])
			if r == utf8.RuneError && n <= 1 {
				break
			}
			off += n
		}
		return nil, &errSyntax{p.at(off), `invalid UTF-8 (save the file as UTF-8, or declare encoding="ISO-8859-1")`}
	}
	d := xml.NewDecoder(bytes.NewReader(data))
	d.Strict = true
	d.CharsetReader = func(_ string, r io.Reader) (io.Reader, error) { return r, nil }
	var open []int // offsets of the start tags not closed yet
	for {
		off := int(d.InputOffset())
		tok, err := d.Token()
		if err == io.EOF {
			if len(open) != 0 {
				return nil, p.syntaxErr(d, fmt.Sprintf("unexpected end of file: the element opened at %s is not closed", p.at(open[len(open)-1]).LineCol()))
			}
			if len(p.tags) == 0 {
				return nil, &errSyntax{config.Pos{File: file, Line: 1, Col: 1}, "no XML element in the file"}
			}
			return p, nil
		}
		if err != nil {
			var se *xml.SyntaxError
			if errors.As(err, &se) {
				if strings.Contains(se.Msg, " closed by ") && len(open) > 0 {
					// Point at the wrong end tag and say where the element began.
					return nil, &errSyntax{p.at(off), fmt.Sprintf("%s (opened at %s)", se.Msg, p.at(open[len(open)-1]).LineCol())}
				}
				if strings.HasPrefix(se.Msg, "unexpected end element") {
					return nil, &errSyntax{p.at(off), se.Msg}
				}
				if se.Msg == "unexpected EOF" && len(open) > 0 && off == len(data) {
					return nil, p.syntaxErr(d, fmt.Sprintf("unexpected end of file: the element opened at %s is not closed", p.at(open[len(open)-1]).LineCol()))
				}
				if strings.HasPrefix(se.Msg, "invalid character entity") {
					// Point at the '&' rather than after the entity.
					cur := int(d.InputOffset())
					if amp := bytes.LastIndexByte(data[:min(cur, len(data))], '&'); amp >= off {
						return nil, &errSyntax{p.at(amp), se.Msg}
					}
				}
				return nil, p.syntaxErr(d, se.Msg)
			}
			return nil, p.syntaxErr(d, err.Error())
		}
		switch t := tok.(type) {
		case xml.StartElement:
			open = append(open, off)
			if len(open) > maxDepth {
				return nil, &errSyntax{p.at(off), fmt.Sprintf("elements nested deeper than %d", maxDepth)}
			}
			end := int(d.InputOffset())
			p.tags = append(p.tags, tagPos{local: t.Name.Local, start: off, end: end, attrs: scanAttrs(data, off, end)})
		case xml.EndElement:
			if len(open) > 0 {
				open = open[:len(open)-1]
			}
		}
	}
}

func (p *positions) syntaxErr(d *xml.Decoder, msg string) error {
	line, col := d.InputPos()
	return &errSyntax{config.Pos{File: p.file, Line: line, Col: col}, msg}
}

// pair maps etree's elements to the recorded tags, in document order. It
// stops at the first disagreement, leaving later elements without a
// position rather than with a wrong one.
func (p *positions) pair(doc *etree.Document) {
	p.byEl = make(map[*etree.Element]*tagPos, len(p.tags))
	i := 0
	var walk func(e *etree.Element) bool
	walk = func(e *etree.Element) bool {
		for _, c := range e.ChildElements() {
			if i >= len(p.tags) || p.tags[i].local != c.Tag {
				return false
			}
			p.byEl[c] = &p.tags[i]
			i++
			if !walk(c) {
				return false
			}
		}
		return true
	}
	walk(&doc.Element)
}

// at converts a byte offset into a position (1-based line and byte column,
// as encoding/xml counts them).
func (p *positions) at(off int) config.Pos {
	i := sort.Search(len(p.lines), func(i int) bool { return p.lines[i] > off }) - 1
	if i < 0 {
		i = 0
	}
	return config.Pos{File: p.file, Line: i + 1, Col: off - p.lines[i] + 1}
}

// elem is the position of e's start tag.
func (p *positions) elem(e *etree.Element) config.Pos {
	if t := p.byEl[e]; t != nil {
		return p.at(t.start)
	}
	return config.Pos{File: p.file}
}

// attr is the position of e's attribute name (qualified as written); the
// element's position when it cannot be found.
func (p *positions) attr(e *etree.Element, name string) config.Pos {
	if a := p.findAttr(e, name); a != nil {
		return p.at(a.nameAt)
	}
	return p.elem(e)
}

// inValue is the position of needle inside the raw value of e's attribute,
// else the attribute's position.
func (p *positions) inValue(e *etree.Element, name, needle string) config.Pos {
	if a := p.findAttr(e, name); a != nil {
		if i := bytes.Index([]byte(a.raw), []byte(needle)); i >= 0 && needle != "" {
			return p.at(a.valAt + i)
		}
		return p.at(a.nameAt)
	}
	return p.elem(e)
}

// inText is the position of needle in the text right after e's start tag,
// else e's position.
func (p *positions) inText(e *etree.Element, needle string) config.Pos {
	t := p.byEl[e]
	if t == nil || needle == "" {
		return p.elem(e)
	}
	rest := p.data[t.end:]
	if lt := bytes.IndexByte(rest, '<'); lt >= 0 {
		rest = rest[:lt]
	}
	if i := bytes.Index(rest, []byte(needle)); i >= 0 {
		return p.at(t.end + i)
	}
	return p.elem(e)
}

func (p *positions) findAttr(e *etree.Element, name string) *attrPos {
	t := p.byEl[e]
	if t == nil {
		return nil
	}
	for i := range t.attrs {
		if t.attrs[i].name == name {
			return &t.attrs[i]
		}
	}
	return nil
}

// scanAttrs reads the attributes of the well-formed start tag data[start:end]
// ("<name a='1' b="2">" or ".../>").
func scanAttrs(data []byte, start, end int) []attrPos {
	var out []attrPos
	i := start + 1
	isSpace := func(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }
	for i < end && !isSpace(data[i]) && data[i] != '>' && data[i] != '/' {
		i++ // element name
	}
	for i < end {
		for i < end && isSpace(data[i]) {
			i++
		}
		if i >= end || data[i] == '>' || data[i] == '/' {
			break
		}
		nameAt := i
		for i < end && !isSpace(data[i]) && data[i] != '=' {
			i++
		}
		name := string(data[nameAt:i])
		for i < end && (isSpace(data[i]) || data[i] == '=') {
			i++
		}
		if i >= end || (data[i] != '"' && data[i] != '\'') {
			break // not well-formed; the decoder would have refused it
		}
		q := data[i]
		i++
		valAt := i
		for i < end && data[i] != q {
			i++
		}
		out = append(out, attrPos{name: name, nameAt: nameAt, valAt: valAt, raw: string(data[valAt:min(i, end)])})
		i++
	}
	return out
}
