package config

import (
	"fmt"
	"strings"
)

func (p Pos) String() string {
	switch {
	case p.File == "" && p.Line == 0:
		return "<default>"
	case p.Line == 0:
		return p.File // a whole file, e.g. one that cannot be read
	}
	return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Col)
}

// LineCol renders "LINE:COL", for messages that point elsewhere in the same
// file.
func (p Pos) LineCol() string { return fmt.Sprintf("%d:%d", p.Line, p.Col) }

// Severity of a Problem.
type Severity uint8

const (
	Error Severity = iota
	Warning
)

// Problem is one thing wrong (or suspicious) in a configuration, at a position.
type Problem struct {
	Pos      Pos
	Severity Severity
	Msg      string
}

// String renders "FILE:LINE:COL: message", with "warning: " before warnings.
func (p Problem) String() string {
	if p.Severity == Warning {
		return p.Pos.String() + ": warning: " + p.Msg
	}
	return p.Pos.String() + ": " + p.Msg
}

// Problems is a list of problems in file order.
type Problems []Problem

// Errorf appends an error at pos.
func (ps *Problems) Errorf(pos Pos, format string, args ...any) {
	*ps = append(*ps, Problem{Pos: pos, Severity: Error, Msg: fmt.Sprintf(format, args...)})
}

// Warnf appends a warning at pos.
func (ps *Problems) Warnf(pos Pos, format string, args ...any) {
	*ps = append(*ps, Problem{Pos: pos, Severity: Warning, Msg: fmt.Sprintf(format, args...)})
}

// HasErrors reports whether any problem is an error (not a warning).
func (ps Problems) HasErrors() bool {
	for _, p := range ps {
		if p.Severity == Error {
			return true
		}
	}
	return false
}

// Err returns nil when there are no errors, else an error listing them, one
// per line.
func (ps Problems) Err() error {
	if !ps.HasErrors() {
		return nil
	}
	return ErrInvalid{ps}
}

// ErrInvalid is the error of a configuration with errors.
type ErrInvalid struct{ Problems Problems }

func (e ErrInvalid) Error() string {
	var b strings.Builder
	n := 0
	for _, p := range e.Problems {
		if p.Severity != Error {
			continue
		}
		if n > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(p.String())
		n++
	}
	return b.String()
}
